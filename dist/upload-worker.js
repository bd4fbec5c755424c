import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{b as r,c as i}from"./chunks/chunk-3SB2PQFF.js";import{q as t}from"./chunks/chunk-AZS5NI3Q.js";import{c as p}from"./chunks/chunk-4OVV4IN4.js";import"./chunks/chunk-QHV7IZFB.js";import"./chunks/chunk-SYU6RHCV.js";import"./chunks/chunk-KZBHPPPA.js";await p(o=>r(i,t).upload(o.name,o.files,o.rootDir,o.options));
//# sourceMappingURL=upload-worker.js.map
