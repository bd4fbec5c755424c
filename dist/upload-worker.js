import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{b as r,c as i}from"./chunks/chunk-WK7R6LTR.js";import{s as t}from"./chunks/chunk-WASIWTL2.js";import{c as p}from"./chunks/chunk-QNABA5LD.js";import"./chunks/chunk-QHV7IZFB.js";import"./chunks/chunk-2YDVYX76.js";import"./chunks/chunk-KZBHPPPA.js";await p(o=>r(i,t).upload(o.name,o.files,o.rootDir,o.options));
//# sourceMappingURL=upload-worker.js.map
