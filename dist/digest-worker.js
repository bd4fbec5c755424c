import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{c as t,d as r,e as s,f as o}from"./chunks/chunk-DPBYWUHD.js";import{c as n}from"./chunks/chunk-GXJDKURB.js";import"./chunks/chunk-KZBHPPPA.js";await n(i=>{if(i.kind==="slow")return r(i.files,i.options);if(i.kind==="error")return t(i.files,i.options);let e=new s(i.files.length);return i.port.on("message",p=>e.note(p)),o(i.files,i.options,e).finally(()=>i.port.close())});
//# sourceMappingURL=digest-worker.js.map
