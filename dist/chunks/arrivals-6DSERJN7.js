import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{a,b,c,d}from"./chunk-TVMY6TAF.js";import"./chunk-RTA46EPS.js";import"./chunk-ITAVSGUS.js";import"./chunk-AVTCL7OQ.js";import"./chunk-KZBHPPPA.js";export{a as Arrivals,b as SyncArrivals,c as digestArriving,d as liveDigestInThread};
