import { ApiError, errorFromResponse } from './api-error';

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  query?: Query;
  body?: unknown;
  /** false: send no Authorization header (the development token route). */
  auth?: boolean;
  /** Send this token instead of the current one (checking a token before signing in with it). */
  token?: string;
  signal?: AbortSignal;
}

export interface ApiClientOptions {
  /** The bearer token, read at each request so a new sign-in takes effect at once. */
  getToken: () => string | null;
  /** Called on any 401: the token expired or was revoked. */
  onUnauthorized: (error: ApiError) => void;
  baseUrl?: string;
}

/** The one way the UI talks to the API: JSON over fetch with the bearer token, errors as ApiError. */
export class ApiClient {
  readonly baseUrl: string;

  constructor(private readonly options: ApiClientOptions) {
    this.baseUrl = options.baseUrl ?? '/api/v1';
  }

  url(path: string, query: Query = {}): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
    }
    const search = params.toString();
    return `${this.baseUrl}${path}${search === '' ? '' : `?${search}`}`;
  }

  async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(path, options, 'application/json');
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /** A file the API serves behind the bearer token (a CSV export), as a Blob. */
  async download(path: string, query: Query = {}): Promise<Blob> {
    const response = await this.send(path, { query }, 'text/csv');
    return response.blob();
  }

  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.request<T>(path, { query: query ?? {}, ...(signal === undefined ? {} : { signal }) });
  }

  post<T>(path: string, body?: unknown, query?: Query): Promise<T> {
    return this.request<T>(path, { method: 'POST', body, query: query ?? {} });
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>(path, { method: 'PATCH', body });
  }

  delete(path: string): Promise<void> {
    return this.request<void>(path, { method: 'DELETE' });
  }

  /** Sends a request that outlives the page (the wizard's clean-up when the tab closes). */
  deleteOnUnload(path: string): void {
    const token = this.options.getToken();
    void fetch(this.url(path), {
      method: 'DELETE',
      keepalive: true,
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    }).catch(() => undefined);
  }

  private async send(path: string, options: RequestOptions, accept: string): Promise<Response> {
    const headers: Record<string, string> = { accept };
    if (options.auth !== false) {
      const token = options.token ?? this.options.getToken();
      if (token !== null) headers.authorization = `Bearer ${token}`;
    }
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    let response: Response;
    try {
      response = await fetch(this.url(path, options.query), {
        method: options.method ?? 'GET',
        headers,
        ...(body === undefined ? {} : { body }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw error;
      throw new ApiError(0, 'network_error', 'The server could not be reached. Check your connection.');
    }
    if (response.ok) return response;
    const error = await errorFromResponse(response);
    if (response.status === 401 && options.auth !== false && options.token === undefined) {
      this.options.onUnauthorized(error);
    }
    throw error;
  }
}
