import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{b as r,c as i}from"./chunks/chunk-JWPKXSQN.js";import{p as t}from"./chunks/chunk-WIV2N3AF.js";import{c as p}from"./chunks/chunk-4OVV4IN4.js";import"./chunks/chunk-QHV7IZFB.js";import"./chunks/chunk-SYU6RHCV.js";import"./chunks/chunk-KZBHPPPA.js";await p(o=>r(i,t).upload(o.name,o.files,o.rootDir,o.options));
//# sourceMappingURL=upload-worker.js.map
