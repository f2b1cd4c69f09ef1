// Lists C++ sources for binding.gyp, so adding a kernel file needs no gyp edit.
// usage: node scripts/gyp-sources.cjs <base|avx2|avx512> DIR...
// Files named *_avx2.cc / *_avx512.cc are compiled with those ISA flags in their own
// static library and are only ever called after a run-time CPU check.
const fs = require('fs');
const path = require('path');
const [isa, ...dirs] = process.argv.slice(2);
const out = [];
const walk = (d) => {
  for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith('.cc')) {
      const kind = e.name.endsWith('_avx512.cc') ? 'avx512' : e.name.endsWith('_avx2.cc') ? 'avx2' : 'base';
      if (kind === isa) out.push(p.split(path.sep).join('/'));
    }
  }
};
for (const d of dirs) walk(d);
process.stdout.write(out.join(' '));
