import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import"./chunk-KZBHPPPA.js";function r(){throw new Error("apache-arrow is not bundled: Arrow blob listings are not supported")}export{r as tableFromIPC};
