import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{a,b,c,d}from"./chunk-LDHW74PD.js";import"./chunk-NBI5CS6E.js";import"./chunk-ITAVSGUS.js";import"./chunk-AVTCL7OQ.js";import"./chunk-KZBHPPPA.js";export{c as SlowDigestBuilder,d as digestSlowFiles,b as normalizeStatement,a as parseDuration};
