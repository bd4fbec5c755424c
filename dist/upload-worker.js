import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{b as r}from"./chunks/chunk-XCFEB6E3.js";import{k as t,n as i}from"./chunks/chunk-2ZINI47W.js";import{c as p}from"./chunks/chunk-GXJDKURB.js";import"./chunks/chunk-PGXMUMID.js";import"./chunks/chunk-KZBHPPPA.js";await p(o=>r(i,t).upload(o.name,o.files,o.rootDir,o.options));
//# sourceMappingURL=upload-worker.js.map
