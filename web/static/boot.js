// Starts the app. A file of its own rather than an inline script, so the page runs under a
// Content-Security-Policy that allows only this origin's scripts.
import init from "/pkg/floorboard_web.js";
init({ module_or_path: "/pkg/floorboard_web_bg.wasm" });
