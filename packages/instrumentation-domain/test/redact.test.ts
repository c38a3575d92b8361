import assert from 'node:assert/strict';
import { createKeyMatcher, splitWords } from '../src/redact';

describe('instrumentation-domain: which key names are redacted', () => {
  const isSecret = createKeyMatcher([]);

  it('splits keys into words at separators, camelCase, acronyms and digits', () => {
    assert.deepEqual(splitWords('x-api-key'), ['x', 'api', 'key']);
    assert.deepEqual(splitWords('APIKey'), ['api', 'key']);
    assert.deepEqual(splitWords('accessToken'), ['access', 'token']);
    assert.deepEqual(splitWords('http.request.header.authorization'), ['http', 'request', 'header', 'authorization']);
    assert.deepEqual(splitWords('pin2'), ['pin', '2']);
    assert.deepEqual(splitWords('DB_PASSWORD'), ['db', 'password']);
  });

  const secret = [
    // the built-in entries, spelled as apps and headers spell them
    'password', 'Password', 'PASSWORD', 'user_password', 'newPassword', 'newpassword', 'DB_PASSWORD', 'passwords', 'passwd', 'pwd',
    'passphrase', 'secret', 'client_secret', 'clientSecret', 'secrets', 'token', 'accessToken', 'access_token', 'x-auth-token',
    'refreshtoken', 'csrf-token', 'jwt', 'id_jwt', 'bearer', 'authorization', 'Authorization', 'proxy-authorization',
    'http.request.header.authorization', 'auth', 'x-auth', 'auth_header', 'authToken', 'cookie', 'Cookie', 'set-cookie',
    'http.response.header.set-cookie', 'cookies', 'session', 'sessionId', 'api_key', 'apiKey', 'APIKey', 'x-api-key', 'X-API-KEY',
    'apikey', 'xapikey', 'private_key', 'privateKey', 'credential', 'credentials', 'aws_credentials', 'signature',
    'x-hub-signature-256', 'hmacSignature', 'otp', 'otp_code', 'otpCode', 'pin', 'PIN', 'pin_code', 'userPin', 'card_pin', 'pin2',
    'ssn', 'ssn_last4', 'credit_card', 'creditCardNumber', 'card_number', 'cardNumber', 'cvv', 'cvc', 'CVC', 'iban',
    'connection_string', 'connectionString', 'ConnectionString', 'db.connection_string', 'dsn', 'SENTRY_DSN', 'sentryDsn',
  ];
  const notSecret = [
    // short entries are whole words only
    'shipping', 'shipping_address', 'pinned', 'spinner', 'mapping', 'opinion', 'author', 'authorName', 'author_id', 'authority',
    'www-authenticate', 'http.response.header.www-authenticate', 'hotpath', 'classname', 'className', 'adsnetwork', 'jwtish',
    'cvcs', 'ibanez',
    // long entries end where a word ends
    'tokenizer', 'input_tokens', 'gen_ai.usage.output_tokens', 'secretary', 'sessions_count_total', 'passwordless',
    // ordinary names
    'id', 'name', 'status', 'total', 'user.id', 'url.full', 'http.route', 'db.query.text', 'page', 'key', 'api', 'private',
  ];

  for (const key of secret) it(`redacts ${JSON.stringify(key)}`, () => assert.equal(isSecret(key), true));
  for (const key of notSecret) it(`keeps ${JSON.stringify(key)}`, () => assert.equal(isSecret(key), false));

  it('extra keys follow the same rule', () => {
    const m = createKeyMatcher(['internal_note', 'tin']);
    assert.equal(m('internalNote'), true);
    assert.equal(m('INTERNAL-NOTE'), true);
    assert.equal(m('tin'), true);
    assert.equal(m('tax_tin'), true);
    assert.equal(m('latin'), false);
    assert.equal(m('tinted'), false);
  });
});
