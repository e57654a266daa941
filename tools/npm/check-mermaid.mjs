// Parses each Mermaid file given (a ```mermaid fenced block, as the
// playground exports it, or bare diagram text) with Mermaid's own parser;
// exits 1 naming the first file it rejects.
import { readFileSync } from 'node:fs';
import mermaid from 'mermaid';

for (const file of process.argv.slice(2)) {
  let text = readFileSync(file, 'utf8');
  const fence = text.match(/^```mermaid\n([\s\S]*?)\n```$/m);
  if (fence) text = fence[1];
  try {
    const r = await mermaid.parse(text);
    console.log(`${file}: ${r.diagramType}`);
  } catch (e) {
    console.error(`${file}: ${e.message}`);
    process.exit(1);
  }
}
