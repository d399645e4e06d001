// The subscriber API's routes, fixed here so every link in every email is right from the first issue on. They
// live under the configured API base URL (digest.apiUrl, by default api/ under the site's origin).
import type { TokenPurpose, TokenSigner } from './tokens.ts';

export const API_ROUTES = {
  /** POST: a sign-up (JSON or an HTML form). */
  subscribe: 'subscribe',
  /** GET: confirms an address (double opt-in). */
  confirm: 'confirm',
  /** GET shows a button; POST unsubscribes (RFC 8058 one-click). */
  unsubscribe: 'unsubscribe',
  /** GET shows the topics; POST saves the choice. */
  preferences: 'preferences',
} as const;

/** `https://news.example.com/api/unsubscribe?token=…` for `address`, signed now (or at the time). */
export function signedLink(
  apiUrl: string,
  route: TokenPurpose,
  signer: TokenSigner,
  address: string,
  issuedAt: Date,
): string {
  const url = new URL(API_ROUTES[route], apiUrl);
  url.searchParams.set('token', signer.sign(address, route, issuedAt));
  return url.href;
}
