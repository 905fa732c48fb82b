// A real OpenID provider on loopback for the single sign-on tests (the certified
// `oidc-provider` package), with its built-in login form: any login id signs in.
//
// Environment: CLIENT_ID, CLIENT_SECRET, REDIRECT_URIS (space-separated), PORT (0: any free).
// Prints one line `ready <issuer>` on stdout once it listens.
//
// The account behind a login id: the table below, else the id itself as a verified email
// (tests make up fresh addresses), except that an id starting with "unverified" is unverified.
import http from 'node:http';

import Provider from 'oidc-provider';

const ACCOUNTS = {
  alice: { email: 'alice@acme.test', email_verified: true },
  mallory: { email: 'mallory@elsewhere.test', email_verified: true },
};

function account(id) {
  if (ACCOUNTS[id]) return ACCOUNTS[id];
  return { email: id, email_verified: !id.startsWith('unverified') };
}

const server = http.createServer();
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: process.env.CLIENT_ID,
      client_secret: process.env.CLIENT_SECRET,
      redirect_uris: (process.env.REDIRECT_URIS || '').split(' ').filter(Boolean),
      grant_types: ['authorization_code'],
      response_types: ['code'],
    }],
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
    cookies: { keys: ['loopback-test-provider-cookie-key'] },
    async findAccount(ctx, id) {
      return {
        accountId: id,
        async claims() {
          return { sub: id, ...account(id) };
        },
      };
    },
  });
  provider.on('server_error', (ctx, err) => console.error('server_error', err));
  server.on('request', provider.callback());
  console.log(`ready ${issuer}`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
