/**
 * The one API client every view uses: typed calls that resolve to the response or throw an ApiCallError
 * (carrying the contract's error code and per-field issues), typed event subscriptions.
 */
import type {
  ApiError,
  ApiIssue,
  EventChannel,
  EventPayloads,
  InvokeChannel,
  RequestIn,
  Response,
} from '../../../core/api/contract.js';
import { pickTransport, type Transport } from './transport.js';

export class ApiCallError extends Error {
  readonly code: ApiError['code'];
  readonly issues: ApiIssue[];
  constructor(error: ApiError) {
    super(error.message);
    this.name = 'ApiCallError';
    this.code = error.code;
    this.issues = error.issues ?? [];
  }
}

type PayloadArg<C extends InvokeChannel> = undefined extends RequestIn<C> ? [payload?: RequestIn<C>] : [payload: RequestIn<C>];

export class Api {
  readonly #transport: Transport;
  constructor(transport: Transport) {
    this.#transport = transport;
  }

  get transport(): Transport['kind'] {
    return this.#transport.kind;
  }

  async call<C extends InvokeChannel>(channel: C, ...payload: PayloadArg<C>): Promise<Response<C>> {
    const result = await this.#transport.invoke(channel, payload[0]);
    if (!result.ok) throw new ApiCallError(result.error);
    return result.value as Response<C>;
  }

  on<E extends EventChannel>(event: E, listener: (payload: EventPayloads[E]) => void): () => void {
    return this.#transport.on(event, listener as (payload: unknown) => void);
  }

  onConnection(listener: (connected: boolean) => void): () => void {
    return this.#transport.onConnection(listener);
  }
}

let instance: Api | null = null;
export function api(): Api {
  instance ??= new Api(pickTransport());
  return instance;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
