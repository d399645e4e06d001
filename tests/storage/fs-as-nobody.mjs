// Runs one FsStorage call as the unprivileged user `nobody`, so tests running as root meet real file permissions.
// Usage: node --import tsx fs-as-nobody.mjs <root> list | <root> write <key> <text>. Prints `{ value }` or `{ error }`.
// The module is loaded while still root: the checkout may sit below a folder `nobody` may not enter (mktemp -d).
const { FsStorage } = await import('../../functions/storage/fs.ts');
process.setgroups([]);
process.setgid(65534);
process.setuid(65534);

const [root, call, key, text] = process.argv.slice(2);
const storage = new FsStorage(root);
try {
  let value;
  if (call === 'list') {
    value = [];
    for await (const entry of storage.list()) value.push(entry);
  } else {
    value = await storage.write(key, new TextEncoder().encode(text), { contentType: 'text/plain' });
  }
  process.stdout.write(JSON.stringify({ value }));
} catch (error) {
  process.stdout.write(JSON.stringify({ error: { name: error.name, code: error.code, message: error.message } }));
}
