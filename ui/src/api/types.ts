// Shapes of the ocrbox REST API (README "API"; core/domain for the Go side).

export type TaskStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled';
export type FileKind = 'input' | 'txt' | 'hocr' | 'json' | 'pdf';
export type OutputKind = Exclude<FileKind, 'input'>;

export const TASK_STATUSES: TaskStatus[] = ['pending', 'processing', 'completed', 'failed', 'cancelled'];
export const OUTPUT_KINDS: OutputKind[] = ['txt', 'hocr', 'json', 'pdf'];

/** isRunning reports whether a task can still change (not terminal). */
export function isRunning(s: TaskStatus): boolean {
  return s === 'pending' || s === 'processing';
}

export interface User {
  id: string;
  email: string;
  name: string;
  provider: string;
  extra?: Record<string, string>;
  created_at: string;
  updated_at: string;
  last_login?: string;
}

/** SessionInfo tells the client when its cookie session ends. */
export interface SessionInfo {
  expires_at: string;
  idle_expires_at: string;
}

export interface MeResponse {
  user: User;
  session?: SessionInfo;
}

export interface LoginResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
  user: User;
  session?: SessionInfo;
}

export interface BrowserProvider {
  name: string;
  display_name: string;
}

export interface ProvidersResponse {
  browser: BrowserProvider[];
}

export interface Engine {
  name: string;
  version: string;
  languages: string[];
  outputs: string[];
}

export interface TaskFile {
  id: string;
  kind: FileKind;
  name: string;
  size: number;
  content_type: string;
  sha256?: string;
  created_at: string;
}

export interface Task {
  id: string;
  filename: string;
  status: TaskStatus;
  engine: string;
  lang: string;
  outputs: OutputKind[];
  /** autorotate: pages are turned upright (90/180/270° and skew) before recognition. */
  autorotate: boolean;
  pages_total: number;
  pages_done: number;
  attempts: number;
  error: string;
  input_bytes: number;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  duration_ms: number;
  files: TaskFile[];
  /** queue_position is a pending task's estimated place in line (1 = next); absent otherwise. */
  queue_position?: number;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  page_size: number;
}

export type SortField = 'created_at' | 'filename' | 'status' | 'duration' | 'pages';
export type SortOrder = 'asc' | 'desc';

/** HistoryQuery is GET /history's filter, sort and paging (all optional). */
export interface HistoryQuery {
  from?: string; // YYYY-MM-DD or RFC 3339
  to?: string;
  status?: TaskStatus;
  q?: string;
  page?: number;
  page_size?: number;
  sort?: SortField;
  order?: SortOrder;
}

export interface Stats {
  total: number;
  by_status: Record<TaskStatus, number>;
  pages: number;
  bytes: number;
  avg_duration_ms: number;
  per_day: { date: string; count: number }[];
}

export interface ApiErrorBody {
  error: { code: string; message: string; request_id?: string };
}
