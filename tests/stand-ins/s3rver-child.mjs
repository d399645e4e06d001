// Runs s3rver in its own process. It must be started with `node --openssl-legacy-provider`: s3rver encrypts
// ListObjectsV2 continuation tokens with DES, and without the flag any listing past 1,000 keys answers 500.
// Prints {"port":N} once listening; stops on SIGTERM.
import S3rver from 's3rver';

const directory = process.argv[2];
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, resetOnClose: true });
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.on('SIGTERM', async () => {
  await server.close();
  process.exit(0);
});
