/**
 * Jest transform for the few ESM-only packages the code loads (openid-client and its two dependencies): jest on
 * Node 20 cannot require ES modules (Node itself can, from 20.19: that is how `review serve` loads them), so
 * their files are compiled to CommonJS here, by TypeScript's own transpiler (no type check, no new dependency).
 */
const ts = require('typescript');

module.exports = {
  process(source, filename) {
    const out = ts.transpileModule(source, {
      fileName: filename,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, allowJs: true, esModuleInterop: true, sourceMap: false },
    });
    return { code: out.outputText };
  },
};
