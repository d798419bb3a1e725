// Tasks, files, engines and history endpoints.
import { ApiError, csrfToken, notifyUnauthorized, parseRetryAfter, raw, request, url } from './client';
import type { ApiErrorBody, Engine, HistoryQuery, OutputKind, Page, Task, TaskStatus, UploadResponse } from './types';

/** UploadParams are the per-upload choices; empty means the server default. */
export interface UploadParams {
  engine?: string;
  lang?: string;
  outputs?: OutputKind[];
  /** autorotate false reads pages as they came; absent or true turns them upright. */
  autorotate?: boolean;
  /** pdf_text: what a PDF's own text layer is used for; absent means skip (use it). */
  pdf_text?: PDFText;
  /** pdf_output: the searchable PDF's flavour; absent means pdfa (PDF/A-2B). */
  pdf_output?: PDFOutput;
}

/** PDFText is the upload's pdf_text choice. */
export type PDFText = Task['pdf_text'];
/** PDFOutput is the upload's pdf_output choice. */
export type PDFOutput = Task['pdf_output'];

/** UploadHandle lets the caller abort one file's upload. */
export interface UploadHandle {
  promise: Promise<Task>;
  abort(): void;
}

export type ExportFormat = 'csv' | 'json';

/** taskService is the typed client of /tasks, /engines and /history. */
export const taskService = {
  engines(): Promise<Engine[]> {
    return request<Engine[]>('/engines');
  },

  list(q: { page?: number; page_size?: number; status?: TaskStatus; sort?: string; order?: string } = {}): Promise<Page<Task>> {
    return request<Page<Task>>('/tasks', { query: { ...q } });
  },

  get(id: string, signal?: AbortSignal): Promise<Task> {
    return request<Task>(`/tasks/${encodeURIComponent(id)}`, { signal });
  },

  remove(id: string): Promise<void> {
    return request<void>(`/tasks/${encodeURIComponent(id)}`, { method: 'DELETE' });
  },

  /** retry re-queues a failed or cancelled task and returns it (202). */
  retry(id: string): Promise<Task> {
    return request<Task>(`/tasks/${encodeURIComponent(id)}/retry`, { method: 'POST' });
  },

  /** cancel stops a pending or processing task and returns it (202). */
  cancel(id: string): Promise<Task> {
    return request<Task>(`/tasks/${encodeURIComponent(id)}/cancel`, { method: 'POST' });
  },

  /** fileURL is a file's download address (the cookie authorises it). */
  fileURL(taskId: string, fileId: string): string {
    return url(`/tasks/${encodeURIComponent(taskId)}/files/${encodeURIComponent(fileId)}`);
  },

  /** fileText fetches a (text) output, e.g. for the preview. */
  async fileText(taskId: string, fileId: string, signal?: AbortSignal): Promise<string> {
    const res = await raw(`/tasks/${encodeURIComponent(taskId)}/files/${encodeURIComponent(fileId)}`, { signal });
    return res.text();
  },

  /**
   * userEventsURL is the signed-in user's one Server-Sent Events stream of
   * all their tasks (events ready, task, deleted, reset). lastEventId
   * resumes after that event, for a new EventSource (one reconnecting by
   * itself sends Last-Event-ID).
   */
  userEventsURL(lastEventId?: string): string {
    return url('/events', { last_event_id: lastEventId });
  },

  history(q: HistoryQuery, signal?: AbortSignal): Promise<Page<Task>> {
    return request<Page<Task>>('/history', { query: { ...q }, signal });
  },

  /** export downloads the filtered history as a file and returns it with its name. */
  async export(format: ExportFormat, q: HistoryQuery): Promise<{ blob: Blob; filename: string }> {
    const { from, to, tz, status, q: text } = q;
    const res = await raw('/history/export', { method: 'POST', body: { format, from, to, tz, status, q: text } });
    const cd = res.headers.get('Content-Disposition') ?? '';
    const m = /filename="?([^";]+)"?/.exec(cd);
    return { blob: await res.blob(), filename: m?.[1] ?? `ocrbox-history.${format}` };
  },

  /**
   * upload sends one file as one task, reporting progress (0..1). It uses
   * XMLHttpRequest because fetch cannot report upload progress.
   */
  upload(file: File, params: UploadParams, onProgress: (fraction: number) => void): UploadHandle {
    const xhr = new XMLHttpRequest();
    const promise = new Promise<Task>((resolve, reject) => {
      const form = new FormData();
      if (params.engine) form.append('engine', params.engine);
      if (params.lang) form.append('lang', params.lang);
      if (params.outputs?.length) form.append('outputs', params.outputs.join(','));
      if (params.autorotate === false) form.append('autorotate', 'false');
      // Only what differs from the server's defaults is sent.
      if (params.pdf_text && params.pdf_text !== 'skip') form.append('pdf_text', params.pdf_text);
      if (params.pdf_output && params.pdf_output !== 'pdfa') form.append('pdf_output', params.pdf_output);
      form.append('file', file, file.name);
      xhr.open('POST', url('/tasks'));
      xhr.setRequestHeader('Accept', 'application/json');
      const t = csrfToken();
      if (t) xhr.setRequestHeader('X-CSRF-Token', t);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
      };
      xhr.onload = () => {
        let body: unknown;
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          body = undefined;
        }
        if (xhr.status >= 200 && xhr.status < 300) {
          onProgress(1);
          const tasks = (body as Partial<UploadResponse> | undefined)?.tasks ?? [];
          if (tasks[0]) resolve(tasks[0]);
          else reject(new ApiError(xhr.status, 'bad_response', 'The server accepted the upload but returned no task.'));
          return;
        }
        const e = (body as Partial<ApiErrorBody> | undefined)?.error;
        const err = new ApiError(
            xhr.status,
            e?.code ?? `http_${xhr.status}`,
            e?.message ?? (xhr.status === 413 ? 'The file is too large.' : `Upload failed (HTTP ${xhr.status}).`),
            e?.request_id,
            parseRetryAfter(xhr.getResponseHeader('Retry-After')),
        );
        notifyUnauthorized(err);
        reject(err);
      };
      xhr.onerror = () => reject(new ApiError(0, 'network_error', 'The upload was interrupted: cannot reach the server.'));
      xhr.onabort = () => reject(new DOMException('upload aborted', 'AbortError'));
      xhr.send(form);
    });
    return { promise, abort: () => xhr.abort() };
  },
};
