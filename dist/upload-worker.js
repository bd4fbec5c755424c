import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{b as r}from"./chunks/chunk-RMLQYVHI.js";import{j as t,m as i}from"./chunks/chunk-XVMTDPIZ.js";import{c as p}from"./chunks/chunk-AAVRCOHA.js";import"./chunks/chunk-2H6KNFZR.js";import"./chunks/chunk-KZBHPPPA.js";await p(o=>r(i,t).upload(o.name,o.files,o.rootDir,o.options));
//# sourceMappingURL=upload-worker.js.map
