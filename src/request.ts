import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { IErrorBody } from './tokens';

/** An error from a kitlab endpoint, carrying the server's machine-readable code. */
export class KitlabRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly details?: unknown
  ) {
    super(message);
  }
}

/**
 * Call a kitlab REST endpoint (`<baseUrl>/kitlab/<endPoint>`). `ServerConnection` adds the token and
 * XSRF header, so the server's authentication applies to every call.
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'kitlab', endPoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  const text = await response.text();
  let data: unknown = null;
  try {
    data = text.length > 0 ? JSON.parse(text) : null;
  } catch (error) {
    // Not JSON: a proxy's or tornado's HTML error page (e.g. a route this server does not have).
    if (response.ok) {
      throw new KitlabRequestError(
        `invalid JSON from ${endPoint}`,
        response.status,
        'http_error'
      );
    }
  }
  if (!response.ok) {
    const body = data as Partial<IErrorBody> | null;
    const message =
      body?.error?.message ?? `${response.status} ${response.statusText}`;
    throw new KitlabRequestError(
      message,
      response.status,
      body?.error?.code ?? 'http_error',
      body?.error?.details
    );
  }
  return data as T;
}
