import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{c as t}from"./chunks/chunk-Q2A4ZYTD.js";import{c as e}from"./chunks/chunk-AAVRCOHA.js";import"./chunks/chunk-KZBHPPPA.js";await e(i=>t(i.files,i.options));
//# sourceMappingURL=digest-worker.js.map
