import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{b as r,c as i}from"./chunks/chunk-7SXGOHGC.js";import{a as t}from"./chunks/chunk-IOLSMW33.js";import{v as p}from"./chunks/chunk-5AOSBGYD.js";import"./chunks/chunk-QHV7IZFB.js";import"./chunks/chunk-2YDVYX76.js";import"./chunks/chunk-KZBHPPPA.js";await p(o=>r(i,t).upload(o.name,o.files,o.rootDir,o.options));
//# sourceMappingURL=upload-worker.js.map
