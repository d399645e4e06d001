import { describe, expect, it } from 'vitest';
import { addressHash } from '../../functions/subscribers/address.ts';
import { MAX_BODY_BYTES } from '../../functions/subscribers/api.ts';
import { feedback } from '../../functions/subscribers/lifecycle.ts';
import { createTokenSigner } from '../../functions/subscribers/tokens.ts';
import { formPost, testApi } from '../support/subscriber-api.ts';

const path = (url: string) => {
  const u = new URL(url);
  return u.pathname + u.search;
};

describe('the whole lifecycle', () => {
  it('subscribe → confirm → preferences → one-click unsubscribe → subscribe again', async () => {
    const api = await testApi();
    const address = api.address();
    const signUp = await api.app.request(
      '/api/subscribe',
      formPost(
        [
          ['email', address],
          ['topics', 'ai'],
          ['topics', 'space'],
          ['topics', 'nonsense'],
        ],
        { 'x-test-ip': '203.0.113.9', 'user-agent': 'Test/1' },
      ),
    );
    expect(signUp.status).toBe(200);
    expect(await signUp.text()).toContain('Check your inbox');
    const pending = await api.store.get(address);
    expect(pending).toMatchObject({
      status: 'pending',
      topics: ['ai', 'space'],
      consent: { source: 'form', ip: '203.0.113.9', userAgent: 'Test/1' },
    });

    const confirmLink = await api.confirmLinkFor(address);
    expect(confirmLink).toBeDefined();
    const confirmed = await api.app.request(path(confirmLink!));
    expect(confirmed.status).toBe(200);
    const page = await confirmed.text();
    expect(page).toContain('You are subscribed');
    expect((await api.store.get(address))?.status).toBe('confirmed');

    const preferencesLink = /href="(https:\/\/[^"]+\/api\/preferences\?token=[^"]+)"/
      .exec(page)![1]!
      .replaceAll('&amp;', '&');
    const form = await (await api.app.request(path(preferencesLink))).text();
    expect(form).toContain('value="ai" checked');
    expect(form).toContain('value="energy">');
    const saved = await api.app.request(
      path(preferencesLink),
      formPost([
        ['mode', 'some'],
        ['topics', 'energy'],
      ]),
    );
    expect(await saved.text()).toContain('Saved.');
    expect((await api.store.get(address))?.topics).toEqual(['energy']);

    const unsubscribeLink = /href="(https:\/\/[^"]+\/api\/unsubscribe\?token=[^"]+)"/
      .exec(page)![1]!
      .replaceAll('&amp;', '&');
    const oneClick = await api.app.request(path(unsubscribeLink), formPost([['List-Unsubscribe', 'One-Click']]));
    expect(oneClick.status).toBe(200);
    expect(oneClick.headers.get('location')).toBeNull();
    expect((await api.store.get(address))?.status).toBe('unsubscribed');
    const again = await api.app.request(path(unsubscribeLink), formPost([['List-Unsubscribe', 'One-Click']]));
    expect(again.status).toBe(200);

    api.clock.now = new Date(api.clock.now.getTime() + 16 * 60_000);
    await api.app.request('/api/subscribe', formPost([['email', address]]));
    expect(await api.mailsTo(address)).toBe(2);
    expect((await api.store.get(address))?.status).toBe('pending');
    await api.app.request(path((await api.confirmLinkFor(address))!));
    expect((await api.store.get(address))?.status).toBe('confirmed');
  });

  it('takes a JSON sign-up and answers JSON', async () => {
    const api = await testApi();
    const address = api.address();
    const response = await api.app.request('/api/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: address, topics: ['AI'] }),
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ status: 'check-your-inbox' });
    expect((await api.store.get(address))?.topics).toEqual(['ai']);
  });
});

describe('links', () => {
  it.each([
    ['a forged token', () => 'k1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['no token', () => ''],
    [
      'a token of another key',
      () =>
        createTokenSigner({ currentKeyId: 'k1', keys: new Map([['k1', new Uint8Array(32).fill(7)]]) }).sign(
          'a@example.com',
          'confirm',
          new Date('2026-11-24T12:00:00Z'),
        ),
    ],
  ])('refuses %s, on every route, with a page and no change', async (_, token) => {
    const api = await testApi();
    for (const route of ['confirm', 'unsubscribe', 'preferences']) {
      const response = await api.app.request(`/api/${route}?token=${encodeURIComponent(token())}`);
      expect(response.status, route).toBe(400);
      expect(await response.text()).toContain('does not work');
    }
  });

  it('refuses a confirmation link after 7 days, saying it expired', async () => {
    const api = await testApi();
    const address = api.address();
    await api.app.request('/api/subscribe', formPost([['email', address]]));
    const link = (await api.confirmLinkFor(address))!;
    api.clock.now = new Date(api.clock.now.getTime() + 7 * 86_400_000 + 1000);
    const response = await api.app.request(path(link));
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('expired');
    expect((await api.store.get(address))?.status).toBe('pending');
  });

  it('refuses a token used for another purpose', async () => {
    const api = await testApi();
    const signer = createTokenSigner(api.keyring);
    const address = api.address();
    await api.app.request('/api/subscribe', formPost([['email', address]]));
    const unsubscribeToken = signer.sign(address, 'unsubscribe', api.clock.now);
    expect((await api.app.request(`/api/confirm?token=${unsubscribeToken}`)).status).toBe(400);
    expect((await api.app.request(`/api/preferences?token=${unsubscribeToken}`)).status).toBe(400);
    const confirmToken = new URL((await api.confirmLinkFor(address))!).searchParams.get('token')!;
    expect((await api.app.request(`/api/unsubscribe?token=${confirmToken}`, formPost([]))).status).toBe(400);
    expect((await api.store.get(address))?.status).toBe('pending');
  });

  it('acts only on the address in the token', async () => {
    const api = await testApi();
    const signer = createTokenSigner(api.keyring);
    const [a, b] = [api.address(), api.address()];
    for (const address of [a, b]) {
      await api.app.request('/api/subscribe', formPost([['email', address]]));
      await api.app.request(path((await api.confirmLinkFor(address))!));
    }
    await api.app.request(`/api/unsubscribe?token=${signer.sign(a, 'unsubscribe', api.clock.now)}`, formPost([]));
    expect((await api.store.get(a))?.status).toBe('unsubscribed');
    expect((await api.store.get(b))?.status).toBe('confirmed');
  });

  it('never unsubscribes on GET (mail scanners open every link): it shows a button', async () => {
    const api = await testApi();
    const address = api.address();
    await api.app.request('/api/subscribe', formPost([['email', address]]));
    await api.app.request(path((await api.confirmLinkFor(address))!));
    const token = createTokenSigner(api.keyring).sign(address, 'unsubscribe', api.clock.now);
    for (const method of ['GET', 'HEAD']) {
      const response = await api.app.request(`/api/unsubscribe?token=${token}`, { method });
      expect(response.status).toBe(200);
    }
    const page = await (await api.app.request(`/api/unsubscribe?token=${token}`)).text();
    expect(page).toMatch(
      /<form method="post" action="\/api\/unsubscribe\?token=[^"]+"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button/,
    );
    expect((await api.store.get(address))?.status).toBe('confirmed');
  });
});

describe('no enumeration, no list bombing', () => {
  it('answers a new, a pending, a confirmed, an unsubscribed and a bounced address the same, in the same time class', async () => {
    const api = await testApi({ responseFloorMs: 150 });
    const known = api.address();
    await api.app.request('/api/subscribe', formPost([['email', known]]));
    const bounced = api.address();
    await api.app.request('/api/subscribe', formPost([['email', bounced]]));
    const current = (await api.store.get(bounced))!;
    const change = feedback(current, 'hard-bounce', api.clock.now);
    if (change.write) await api.store.save(change.next, change.expectedVersion);

    const answers = [];
    for (const address of [api.address(), known, bounced]) {
      const started = performance.now();
      const response = await api.app.request('/api/subscribe', formPost([['email', address]]));
      answers.push({ status: response.status, body: await response.text(), ms: performance.now() - started });
    }
    expect(new Set(answers.map((a) => `${a.status} ${a.body}`)).size).toBe(1);
    for (const answer of answers) expect(answer.ms).toBeGreaterThanOrEqual(145);
    expect(await api.mailsTo(bounced)).toBe(1);
  });

  it('sends nothing more within the cooldown', async () => {
    const api = await testApi();
    const address = api.address();
    await api.app.request('/api/subscribe', formPost([['email', address]]));
    api.clock.now = new Date(api.clock.now.getTime() + 14 * 60_000);
    await api.app.request('/api/subscribe', formPost([['email', address]]));
    expect(await api.mailsTo(address)).toBe(1);
  });

  it('sends nothing over the per-client hourly limit, and answers the same', async () => {
    const api = await testApi({ digest: { signup: { perClientPerHour: 2 } } });
    const addresses = [api.address(), api.address(), api.address()];
    const bodies = [];
    for (const address of addresses) {
      bodies.push(
        await (
          await api.app.request('/api/subscribe', formPost([['email', address]], { 'x-test-ip': '198.51.100.7' }))
        ).text(),
      );
    }
    expect(new Set(bodies).size).toBe(1);
    expect([
      await api.mailsTo(addresses[0]!),
      await api.mailsTo(addresses[1]!),
      await api.mailsTo(addresses[2]!),
    ]).toEqual([1, 1, 0]);
    // Another client is not held back, and the next hour starts again.
    const other = api.address();
    await api.app.request('/api/subscribe', formPost([['email', other]], { 'x-test-ip': '198.51.100.8' }));
    expect(await api.mailsTo(other)).toBe(1);
  });

  it('sends nothing over the total hourly limit', async () => {
    const api = await testApi({ digest: { signup: { totalPerHour: 2 } } });
    const addresses = [api.address(), api.address(), api.address()];
    for (const address of addresses) await api.app.request('/api/subscribe', formPost([['email', address]]));
    expect(await api.mailsTo(addresses[2]!)).toBe(0);
    api.clock.now = new Date(api.clock.now.getTime() + 3_600_000);
    const later = api.address();
    await api.app.request('/api/subscribe', formPost([['email', later]]));
    expect(await api.mailsTo(later)).toBe(1);
  });

  it('ignores a sign-up whose honeypot field is filled, with the same answer', async () => {
    const api = await testApi();
    const address = api.address();
    const response = await api.app.request(
      '/api/subscribe',
      formPost([
        ['email', address],
        ['website', 'http://spam.example'],
      ]),
    );
    expect(await response.text()).toContain('Check your inbox');
    expect(await api.store.get(address)).toBeUndefined();
    expect(await api.mailsTo(address)).toBe(0);
  });

  it('never mails an address erased after it bounced', async () => {
    const api = await testApi();
    const address = api.address();
    await api.app.request('/api/subscribe', formPost([['email', address]]));
    const change = feedback((await api.store.get(address))!, 'complaint', api.clock.now);
    if (change.write) await api.store.save(change.next, change.expectedVersion);
    await api.store.erase(address, addressHash(api.keyring.hashKey!, address));
    expect(await api.store.get(address)).toBeUndefined();
    api.clock.now = new Date(api.clock.now.getTime() + 86_400_000);
    await api.app.request('/api/subscribe', formPost([['email', address]]));
    expect(await api.mailsTo(address)).toBe(1);
    expect(await api.store.get(address)).toBeUndefined();
  });

  it('keeps every address out of its logs', async () => {
    const api = await testApi();
    const address = api.address();
    await api.app.request('/api/subscribe', formPost([['email', address]]));
    await api.app.request(path((await api.confirmLinkFor(address))!));
    expect(api.logs.length).toBeGreaterThan(1);
    expect(api.logs.join('\n')).not.toContain(address.split('@')[0]);
    expect(api.logs.join('\n')).toContain(addressHash(api.keyring.hashKey!, address));
  });
});

describe('bad requests', () => {
  it.each([
    ['a body over the limit', formPost([['email', `${'a'.repeat(MAX_BODY_BYTES)}@example.com`]]), 413],
    ['malformed JSON', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":' }, 400],
    [
      'JSON of the wrong shape',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":["a@b.com"]}' },
      400,
    ],
    ['plain text', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'email=a@example.com' }, 415],
    ['no content type', { method: 'POST', body: 'email=a@example.com' }, 415],
    ['an invalid address', formPost([['email', 'not an address']]), 400],
    ['an address with a header in it', formPost([['email', 'a@example.com\r\nBcc: evil@example.net']]), 400],
    ['two addresses', formPost([['email', 'a@example.com, b@example.com']]), 400],
  ])('rejects %s cleanly, with no stack trace', async (_, init, status) => {
    const api = await testApi();
    const response = await api.app.request('/api/subscribe', init as RequestInit);
    expect(response.status).toBe(status);
    const body = await response.text();
    expect(body).not.toMatch(/at .*\.ts:\d+|Error:|node_modules/);
    expect(body.length).toBeLessThan(3000);
  });

  it('names the field of an invalid address in JSON', async () => {
    const api = await testApi();
    const response = await api.app.request('/api/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'nope' }),
    });
    expect(await response.json()).toEqual({
      error: 'expected an email address such as name@example.com',
      field: 'email',
    });
  });

  it('answers 405 with Allow for a wrong method, and 404 for no route', async () => {
    const api = await testApi();
    const get = await api.app.request('/api/subscribe');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await api.app.request('/api/nothing')).status).toBe(404);
  });

  it('answers 500 without details when the store fails, and logs no address', async () => {
    const api = await testApi();
    const address = api.address();
    api.store.get = async () => {
      throw new Error(`table gone while reading ${address}`);
    };
    const response = await api.app.request('/api/subscribe', formPost([['email', address]]));
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain('table gone');
    expect(api.logs.join('\n')).toContain('[address]');
    expect(api.logs.join('\n')).not.toContain(address);
  });

  it('sends no-store, noindex and a strict content security policy', async () => {
    const api = await testApi();
    const response = await api.app.request('/api/subscribe', formPost([['email', api.address()]]));
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-robots-tag')).toBe('noindex');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
  });
});
