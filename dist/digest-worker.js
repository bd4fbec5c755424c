import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{c as t,d as s}from"./chunks/chunk-BE4WPJGZ.js";import{c as e}from"./chunks/chunk-GJGM27VW.js";import"./chunks/chunk-KZBHPPPA.js";await e(i=>i.kind==="slow"?s(i.files,i.options):t(i.files,i.options));
//# sourceMappingURL=digest-worker.js.map
