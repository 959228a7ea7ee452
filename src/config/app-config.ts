import 'reflect-metadata';
import { plainToInstance, Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
  validateSync,
} from 'class-validator';

const DEV_JWT_SECRET = 'dev-only-secret-change-me-dev-only-secret';

const toBool = ({ value }: { value: unknown }): unknown =>
  value === undefined || value === '' ? undefined : value === 'true' || value === '1';

const toList = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() !== ''
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;

/**
 * Every setting of the service, read once from the environment and validated at start-up.
 * `.env.example` documents each one; the names are the environment variables'.
 */
export class AppConfig {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsOptional()
  @IsString()
  HOST?: string;

  /** HS256 secret. Production refuses to start without 32 characters or more. */
  @IsString()
  @ValidateIf((c: AppConfig) => c.NODE_ENV === 'production')
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters in production' })
  JWT_SECRET = DEV_JWT_SECRET;

  /** Lifetime of the tokens that dev-login issues. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  JWT_TTL_SECONDS = 3600;

  @Transform(toBool)
  @IsOptional()
  @IsBoolean()
  AUTH_DEV_LOGIN?: boolean;

  /** Unset: the server's own origin and any localhost origin. */
  @Transform(toList)
  @IsOptional()
  @IsString({ each: true })
  ALLOWED_ORIGINS?: string[];

  @IsOptional()
  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must start with redis:// or rediss://' })
  REDIS_URL?: string;

  /** Namespaces every Redis key and channel of the layer. */
  @Matches(/^[A-Za-z0-9_.:-]{0,64}$/)
  REDIS_PREFIX = 'rt:';

  @Type(() => Number)
  @IsInt()
  @Min(1024)
  @Max(16 * 1024 * 1024)
  WS_MAX_PAYLOAD = 65536;

  @Type(() => Number)
  @IsInt()
  @Min(10)
  WS_PING_INTERVAL_MS = 25000;

  /** Chat and room `message` length cap. Unset: no cap below the frame limit (`WS_MAX_PAYLOAD`). */
  @Type(() => Number)
  @IsOptional()
  @IsInt()
  @Min(1)
  MESSAGE_MAX_CHARS?: number;

  /** Messages kept per group for resume (`?since=`), the push inbox and idempotent sends. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000)
  HISTORY_SIZE = 100;

  /** History kept per one-to-one chat, where it should be smaller than `HISTORY_SIZE`. */
  @Type(() => Number)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  HISTORY_SIZE_CHAT?: number;

  /** A group's history (and its id counter) expires this long after its last message. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  HISTORY_TTL_S = 86400;

  /** Unsent bytes queued for one socket; past this the socket is closed with 1013 (a slow consumer). */
  @Type(() => Number)
  @IsInt()
  @Min(1024)
  WS_MAX_BUFFERED_BYTES = 1024 * 1024;

  /** Frames a socket may send per second (bursts up to twice that); over it: error 429, then close 1008. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  WS_MAX_MESSAGES_PER_SEC = 50;

  /** Open sockets per user, across every instance on Redis; the next handshake gets 429. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  WS_MAX_CONNECTIONS_PER_USER = 20;

  /** HTTP requests per client IP per minute on `/api/*`; over it: 429 with `Retry-After`. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  HTTP_RATE_PER_MIN = 600;

  /** On SIGTERM or SIGINT the process exits within this many ms, whatever its clients do. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(600_000)
  SHUTDOWN_GRACE_MS = 10000;

  /**
   * How long an instance's presence lease lasts on Redis without renewal (renewed every third of
   * it). An instance that stops renewing (killed, frozen, cut off) leaves presence when it lapses.
   */
  @Type(() => Number)
  @IsInt()
  @Min(300)
  @Max(60_000)
  PRESENCE_LEASE_MS = 15000;

  /**
   * Express's `trust proxy`: whose `X-Forwarded-For` names the client IP that `HTTP_RATE_PER_MIN`
   * counts. Unset: no proxy is trusted (the TCP peer is the client). A number of hops, `true`, or a
   * comma list of addresses/subnets (`loopback`, `10.0.0.0/8`).
   */
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.:/, -]{1,200}$/, {
    message: 'TRUST_PROXY must be true, a hop count, or a comma list of addresses',
  })
  TRUST_PROXY?: string;

  /**
   * When set, `GET /metrics` answers only requests with `Authorization: Bearer <this>` (401
   * otherwise). Unset: open, as Prometheus expects; keep the port off the internet then.
   */
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'METRICS_TOKEN must be at least 16 characters' })
  METRICS_TOKEN?: string;

  /** `json`: one JSON object per line (default in production); `pretty`: coloured text for a terminal. */
  @IsOptional()
  @IsIn(['json', 'pretty'], { message: 'LOG_FORMAT must be json or pretty' })
  LOG_FORMAT?: 'json' | 'pretty';

  /** The lowest level logged. */
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace'], {
    message: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace',
  })
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' = 'info';

  /**
   * The longest chat or room message accepted. A message can never be longer than its frame, so
   * the default is the frame limit itself: the cap never binds before `WS_MAX_PAYLOAD` does.
   */
  get messageMaxChars(): number {
    return this.MESSAGE_MAX_CHARS ?? this.WS_MAX_PAYLOAD;
  }

  /** Chats are many small groups: their history may be set apart (`HISTORY_SIZE_CHAT`). */
  get chatHistorySize(): number {
    return this.HISTORY_SIZE_CHAT ?? this.HISTORY_SIZE;
  }

  get logFormat(): 'json' | 'pretty' {
    return this.LOG_FORMAT ?? (this.NODE_ENV === 'production' ? 'json' : 'pretty');
  }

  get devLoginEnabled(): boolean {
    return this.AUTH_DEV_LOGIN ?? this.NODE_ENV !== 'production';
  }
}

export class ConfigError extends Error {}

/** Builds the config from an environment; throws `ConfigError` listing every invalid setting. */
export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const config = plainToInstance(AppConfig, defined, { excludeExtraneousValues: false });
  const problems = validateSync(config, { whitelist: false }).flatMap((e) => Object.values(e.constraints ?? {}));
  // An empty value must not fall back to the development secret.
  if (config.NODE_ENV === 'production' && !env.JWT_SECRET) {
    problems.push('JWT_SECRET is required in production');
  }
  if (config.NODE_ENV === 'production' && config.JWT_SECRET === DEV_JWT_SECRET) {
    problems.push('JWT_SECRET must not be the published development secret in production');
  }
  if (config.NODE_ENV === 'production' && config.AUTH_DEV_LOGIN) {
    problems.push('AUTH_DEV_LOGIN=true is refused in production');
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  return config;
}
