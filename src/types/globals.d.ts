/** The package version, put in by Vite's define (vite.config.ts) from package.json. */
declare const __XNORNET_VERSION__: string;
