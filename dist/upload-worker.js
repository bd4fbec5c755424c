import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{j as t,m as r,o as i}from"./chunks/chunk-UHUTPY5Q.js";import{c as p}from"./chunks/chunk-AAVRCOHA.js";import"./chunks/chunk-T75JHFKM.js";import"./chunks/chunk-KZBHPPPA.js";await p(o=>r(i,t).upload(o.name,o.files,o.rootDir,o.options));
//# sourceMappingURL=upload-worker.js.map
