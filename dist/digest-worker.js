import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{a as t}from"./chunks/chunk-NVHSSHTP.js";import{c as e}from"./chunks/chunk-2FCNGUL3.js";import"./chunks/chunk-KZBHPPPA.js";await e(i=>t(i.files,i.options));
//# sourceMappingURL=digest-worker.js.map
