import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{a,b,c,d}from"./chunk-NKHNHGUK.js";import"./chunk-RTA46EPS.js";import"./chunk-ITAVSGUS.js";import"./chunk-AVTCL7OQ.js";import"./chunk-KZBHPPPA.js";export{c as SlowDigestBuilder,d as digestSlowFiles,b as normalizeStatement,a as parseDuration};
