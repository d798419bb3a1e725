import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { vi } from 'vitest';
import { onUnauthorized } from '../api/client';
import { connectTaskEvents } from '../stores/taskEvents';
import { useAuthStore } from '../stores/authStore';
import { useTaskStore } from '../stores/taskStore';
import { STORAGE_KEY } from './options';
import { ENGINES, FakeEventSource, FakeXHR, installFakes, json, stubFetch, task, type Route } from './testFakes';
import { UploadPage } from './UploadPage';
import { useUploadStore } from './uploadStore';

const engines: Route = (m, u) => (m === 'GET' && u.pathname === '/api/v1/engines' ? json(ENGINES) : undefined);
const noneRunning: Route = (m, u) =>
  m === 'GET' && u.pathname === '/api/v1/tasks' ? json({ items: [], total: 0, page: 1, page_size: 200 }) : undefined;

function renderPage() {
  return render(
    <MemoryRouter>
      <UploadPage />
    </MemoryRouter>,
  );
}

const file = (name: string, size = 3) => new File(['x'.repeat(size)], name, { type: 'image/png' });

/** ready renders the page and waits for the options. */
async function ready() {
  const view = renderPage();
  await screen.findByLabelText('Engine');
  return view;
}

function drop(files: File[]) {
  fireEvent.drop(screen.getByTestId('dropzone'), { dataTransfer: { files, types: ['Files'] } });
}

const rows = () => screen.queryAllByTestId('task-row');
const rowOf = (name: string) => {
  const r = rows().find((li) => within(li).queryByText(name));
  if (!r) throw new Error(`no row for ${name}`);
  return r;
};

beforeEach(() => {
  installFakes();
  localStorage.clear();
  useUploadStore.getState().reset();
  useTaskStore.getState().reset();
});
afterEach(() => {
  useUploadStore.getState().reset();
  vi.unstubAllGlobals();
});

describe('upload options', () => {
  it('shows a skeleton, then defaults to tesseract, eng and every output', async () => {
    stubFetch(engines, noneRunning);
    renderPage();
    expect(screen.getByLabelText('Loading upload options')).toHaveAttribute('aria-busy', 'true');
    expect(screen.getByRole('button', { name: 'Choose files' })).toBeDisabled();

    expect(await screen.findByLabelText('Engine')).toHaveValue('tesseract');
    expect(document.title).toBe('Upload · ocrbox');
    expect(screen.getByRole('button', { name: /^Languages/ })).toHaveAccessibleName('Languages English');
    for (const name of ['Text', 'hOCR', 'JSON', 'Searchable PDF']) expect(screen.getByLabelText(name)).toBeChecked();
    // One way to start an upload: no "Upload" button beside "Choose files".
    expect(screen.queryByRole('button', { name: 'Upload' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Choose files' })).toBeEnabled();
    expect(screen.getByLabelText('Choose files')).toHaveAttribute('type', 'file');
    expect(screen.getByLabelText('Choose files')).toHaveAttribute('multiple');
  });

  it('hides outputs the engine cannot make and keeps at least one', async () => {
    stubFetch(engines, noneRunning);
    const user = userEvent.setup();
    await ready();
    await user.selectOptions(screen.getByLabelText('Engine'), 'plain');

    expect(screen.queryByLabelText('hOCR')).not.toBeInTheDocument();
    expect(screen.queryByLabelText('Searchable PDF')).not.toBeInTheDocument();
    expect(screen.getByLabelText('Text')).toBeChecked();
    expect(screen.getByLabelText('Text')).toBeDisabled();
    // plain has no "eng": its first language is picked.
    expect(screen.getByRole('button', { name: /^Languages/ })).toHaveTextContent('French');
    expect(JSON.parse(localStorage.getItem(STORAGE_KEY)!)).toEqual({
      engine: 'plain',
      lang: 'fra',
      outputs: ['txt'],
      autorotate: true,
      pdfText: 'skip',
      pdfOutput: 'pdfa',
    });
  });

  it('turns pages upright unless told not to, and remembers it', async () => {
    stubFetch(engines, noneRunning);
    const user = userEvent.setup();
    await ready();
    const upright = screen.getByLabelText('Turn pages upright (sideways, upside down or askew)');
    expect(upright).toBeChecked();
    drop([file('a.png')]);
    expect(FakeXHR.all[0].body?.get('autorotate')).toBeNull(); // the server's default: on
    await user.click(upright);
    drop([file('b.png')]);
    expect(FakeXHR.all[1].body?.get('autorotate')).toBe('false');
    expect(JSON.parse(localStorage.getItem(STORAGE_KEY)!)).toMatchObject({ autorotate: false });
  });

  it('sends the PDF choices only when they differ from the defaults, and remembers them', async () => {
    stubFetch(engines, noneRunning);
    const user = userEvent.setup();
    await ready();
    const pdfText = screen.getByLabelText('PDFs that already have text');
    expect(pdfText).toHaveValue('skip');
    expect(screen.getByLabelText('Searchable PDF as')).toHaveValue('pdfa');
    drop([file('a.pdf')]);
    expect(FakeXHR.all[0].body?.get('pdf_text')).toBeNull(); // the server's defaults
    expect(FakeXHR.all[0].body?.get('pdf_output')).toBeNull();
    await user.selectOptions(pdfText, 'force');
    await user.selectOptions(screen.getByLabelText('Searchable PDF as'), 'pdf');
    drop([file('b.pdf')]);
    expect(FakeXHR.all[1].body?.get('pdf_text')).toBe('force');
    expect(FakeXHR.all[1].body?.get('pdf_output')).toBe('pdf');
    expect(JSON.parse(localStorage.getItem(STORAGE_KEY)!)).toMatchObject({ pdfText: 'force', pdfOutput: 'pdf' });
    // Without a searchable PDF among the outputs its flavour is not asked.
    await user.click(screen.getByLabelText('Searchable PDF'));
    expect(screen.queryByLabelText('Searchable PDF as')).not.toBeInTheDocument();
  });

  it('takes several languages by name, keeps the order checked, sends eng+deu and remembers it', async () => {
    stubFetch(engines, noneRunning);
    const user = userEvent.setup();
    await ready();
    const button = screen.getByRole('button', { name: /^Languages/ });
    expect(button).toHaveAttribute('aria-expanded', 'false');
    await user.click(button);
    expect(button).toHaveAttribute('aria-expanded', 'true');
    // Names, not codes, sorted by name; the only one checked cannot go.
    const boxes = screen.getAllByRole('checkbox').filter((b) => b.closest('.lang-picker'));
    expect(boxes.map((b) => b.closest('label')!.textContent)).toEqual(['English', 'French', 'German']);
    expect(screen.getByRole('checkbox', { name: 'English' })).toBeDisabled();
    await user.click(screen.getByRole('checkbox', { name: 'German' }));
    expect(button).toHaveTextContent('English, German');
    // The first one checked is the main language, and says so.
    expect(screen.getByRole('checkbox', { name: 'English main' })).toBeEnabled();
    await user.keyboard('{Escape}');
    expect(button).toHaveAttribute('aria-expanded', 'false');
    expect(button).toHaveFocus();
    drop([file('a.png')]);
    expect(FakeXHR.all[0].body?.get('lang')).toBe('eng+deu');
    expect(JSON.parse(localStorage.getItem(STORAGE_KEY)!)).toMatchObject({ lang: 'eng+deu' });
    // The main language can change: uncheck English, German stays.
    await user.click(button);
    await user.click(screen.getByRole('checkbox', { name: 'English main' }));
    expect(button).toHaveTextContent(/^German$/);
    drop([file('b.png')]);
    expect(FakeXHR.all[1].body?.get('lang')).toBe('deu');
  });

  it('does not let the last output be unchecked', async () => {
    stubFetch(engines, noneRunning);
    const user = userEvent.setup();
    await ready();
    for (const name of ['hOCR', 'JSON', 'Searchable PDF']) await user.click(screen.getByLabelText(name));
    expect(screen.getByLabelText('Text')).toBeChecked();
    expect(screen.getByLabelText('Text')).toBeDisabled();
    expect(screen.getByText('At least one output is needed.')).toBeInTheDocument();
  });

  it('restores the remembered choice', async () => {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ engine: 'tesseract', lang: 'deu', outputs: ['pdf', 'bogus'] }));
    stubFetch(engines, noneRunning);
    await ready();
    expect(screen.getByRole('button', { name: /^Languages/ })).toHaveTextContent('German');
    expect(screen.getByLabelText('Searchable PDF')).toBeChecked();
    expect(screen.getByLabelText('Text')).not.toBeChecked();
  });

  it('explains a failure to load the engines and retries', async () => {
    let fail = true;
    stubFetch((_m, u) => {
      if (u.pathname !== '/api/v1/engines') return undefined;
      return fail ? json({ error: { code: 'internal', message: 'engine registry down' } }, 422) : json(ENGINES);
    }, noneRunning);
    const user = userEvent.setup();
    renderPage();
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not load the OCR engines.');
    expect(alert).toHaveTextContent('engine registry down');
    expect(screen.getByRole('button', { name: 'Choose files' })).toBeDisabled();
    fail = false;
    await user.click(within(alert).getByRole('button', { name: 'Retry' }));
    expect(await screen.findByLabelText('Engine')).toHaveValue('tesseract');
  });
});

describe('uploading', () => {
  it('shows an empty state before anything is uploaded', async () => {
    stubFetch(engines, noneRunning);
    await ready();
    expect(screen.getByText('Nothing uploaded yet.')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'task history' })).toHaveAttribute('href', '/history');
  });

  it('makes a row with a progress bar per dropped file and sends the options', async () => {
    stubFetch(engines, noneRunning);
    await ready();
    drop([file('a.png'), file('b.tiff')]);

    expect(rows()).toHaveLength(2);
    // The selection keeps its order (and goes above older rows).
    expect(rows()[0]).toHaveTextContent('a.png');
    expect(rows()[1]).toHaveTextContent('b.tiff');
    for (const name of ['a.png', 'b.tiff']) {
      const r = rowOf(name);
      expect(r).toHaveAttribute('data-status', 'uploading');
      expect(within(r).getByRole('progressbar', { name: `Upload progress for ${name}` })).toHaveAttribute('aria-valuenow', '0');
      expect(within(r).getByRole('button', { name: 'Cancel upload' })).toBeInTheDocument();
    }
    expect(FakeXHR.all).toHaveLength(2);
    const sent = FakeXHR.all[0];
    expect(sent.method).toBe('POST');
    expect(sent.url).toBe('/api/v1/tasks');
    expect(sent.body?.get('engine')).toBe('tesseract');
    expect(sent.body?.get('lang')).toBe('eng');
    expect(sent.body?.get('outputs')).toBe('txt,hocr,json,pdf');
    expect((sent.body?.get('file') as File).name).toBe('a.png');

    FakeXHR.all[0].progress(42, 100);
    expect(within(rowOf('a.png')).getByRole('progressbar')).toHaveAttribute('aria-valuenow', '42');
    expect(within(rowOf('b.tiff')).getByRole('progressbar')).toHaveAttribute('aria-valuenow', '0');
  });

  it('takes files from the picker too, and Enter on the zone opens it', async () => {
    stubFetch(engines, noneRunning);
    const user = userEvent.setup();
    await ready();
    const input = screen.getByLabelText('Choose files') as HTMLInputElement;
    const click = vi.spyOn(input, 'click');
    screen.getByTestId('dropzone').focus();
    await user.keyboard('{Enter}');
    expect(click).toHaveBeenCalledTimes(1);
    await user.click(screen.getByRole('button', { name: 'Choose files' }));
    expect(click).toHaveBeenCalledTimes(2);

    await user.upload(input, [file('scan.pdf')]);
    expect(rowOf('scan.pdf')).toHaveAttribute('data-status', 'uploading');
  });

  it('uploads at most two files at a time', async () => {
    stubFetch(engines, noneRunning);
    await ready();
    drop([file('1.png'), file('2.png'), file('3.png')]);
    expect(FakeXHR.all).toHaveLength(2);
    expect(within(rowOf('3.png')).getByText('Waiting…')).toBeInTheDocument();
    expect((FakeXHR.all[1].body?.get('file') as File).name).toBe('2.png');

    await FakeXHR.all[0].respond(202, { tasks: [task({ id: 't1', filename: '1.png' })] });
    expect(FakeXHR.all).toHaveLength(3);
    expect((FakeXHR.all[2].body?.get('file') as File).name).toBe('3.png');
    expect(within(rowOf('3.png')).queryByText('Waiting…')).not.toBeInTheDocument();
  });

  it('rejects an empty file without sending it', async () => {
    stubFetch(engines, noneRunning);
    await ready();
    drop([file('empty.png', 0)]);
    expect(rowOf('empty.png')).toHaveAttribute('data-status', 'rejected');
    expect(within(rowOf('empty.png')).getByRole('alert')).toHaveTextContent('This file is empty');
    expect(FakeXHR.all).toHaveLength(0);
  });

  it.each([
    [415, { code: 'unsupported_media_type', message: 'unsupported type text/plain' }, {}, 'Not an image or PDF ocrbox can read.'],
    [413, { code: 'too_many_pages', message: 'The PDF has 900 pages; the limit is 500.' }, {}, 'The PDF has 900 pages; the limit is 500.'],
    [429, { code: 'quota_exceeded', message: 'daily upload limit of 50 files' }, {}, 'Quota reached: daily upload limit of 50 files'],
    [422, { code: 'invalid_request', message: 'unknown language "xx"' }, {}, 'unknown language "xx"'],
    [429, { code: 'rate_limited', message: 'slow down' }, { 'Retry-After': '7' }, 'Too many uploads right now — try again in 7 s.'],
  ])('explains a %i rejection in the row', async (status, error, headers, message) => {
    stubFetch(engines, noneRunning);
    await ready();
    drop([file('x.png')]);
    await FakeXHR.all[0].respond(status, { error }, headers);

    const r = rowOf('x.png');
    expect(r).toHaveAttribute('data-status', 'rejected');
    expect(within(r).getByRole('alert')).toHaveTextContent(message);
    expect(within(r).queryByRole('progressbar')).not.toBeInTheDocument();
    await userEvent.click(within(r).getByRole('button', { name: 'Dismiss' }));
    expect(rows()).toHaveLength(0);
  });

  it('offers to retry an interrupted upload', async () => {
    stubFetch(engines, noneRunning);
    await ready();
    drop([file('net.png')]);
    await FakeXHR.all[0].fail();
    const r = rowOf('net.png');
    expect(within(r).getByRole('alert')).toHaveTextContent('Upload interrupted — check your connection.');

    await userEvent.click(within(r).getByRole('button', { name: 'Retry upload' }));
    expect(FakeXHR.all).toHaveLength(2);
    expect(rowOf('net.png')).toHaveAttribute('data-status', 'uploading');
    expect(within(rowOf('net.png')).queryByRole('alert')).not.toBeInTheDocument();
  });

  it('ends the session when an upload answers 401, and forgets the list', async () => {
    stubFetch(engines, noneRunning);
    await ready();
    act(() => useAuthStore.setState({ status: 'signedIn' }));
    // The app's 401 hook, as authStore.init registers it.
    onUnauthorized(() => useAuthStore.getState().expired());
    // Keep the session "alive" for a moment to see the row; the real expired() signs out.
    const expired = vi.spyOn(useAuthStore.getState(), 'expired').mockImplementation(() => {});
    drop([file('late.png')]);
    await FakeXHR.all[0].respond(401, { error: { code: 'unauthorized', message: 'session expired' } });
    expect(expired).toHaveBeenCalledTimes(1);
    expect(within(rowOf('late.png')).getByRole('alert')).toHaveTextContent('Your session has ended');
    act(() => useAuthStore.setState({ status: 'signedOut' }));
    expect(rows()).toHaveLength(0);
    onUnauthorized(undefined);
  });

  it('cancels an upload and starts the next waiting one', async () => {
    stubFetch(engines, noneRunning);
    await ready();
    drop([file('1.png'), file('2.png'), file('3.png')]);
    await userEvent.click(within(rowOf('1.png')).getByRole('button', { name: 'Cancel upload' }));
    expect(FakeXHR.all[0].aborted).toBe(true);
    expect(rows()).toHaveLength(2);
    expect(FakeXHR.all).toHaveLength(3);
    expect(rowOf('3.png')).toHaveAttribute('data-status', 'uploading');
  });
});

describe('live progress', () => {
  // The signed-in shell holds the tab's one event stream (App.tsx); here the test does.
  let release: () => void = () => {};
  beforeEach(() => {
    release = connectTaskEvents();
  });
  afterEach(async () => {
    release();
    await act(() => new Promise((r) => setTimeout(r, 0)));
  });

  it('follows the new task over the event stream until it completes', async () => {
    stubFetch(engines, noneRunning);
    await ready();
    drop([file('doc.pdf')]);
    await FakeXHR.all[0].respond(202, { tasks: [task({ id: 'T1', filename: 'doc.pdf' })] });

    let r = rowOf('doc.pdf');
    expect(r).toHaveAttribute('data-task-id', 'T1');
    expect(r).toHaveAttribute('data-status', 'pending');
    expect(within(r).getByText('Queued')).toBeInTheDocument();
    const es = FakeEventSource.user()!;
    expect(es).toBeDefined();
    expect(useTaskStore.getState().recent).toEqual(['T1']);

    es.emit('task', task({ id: 'T1', filename: 'doc.pdf', status: 'processing', pages_total: 3, pages_done: 1 }));
    r = rowOf('doc.pdf');
    expect(r).toHaveAttribute('data-status', 'processing');
    expect(within(r).getByText('1 / 3 pages')).toBeInTheDocument();
    const bar = within(r).getByRole('progressbar', { name: 'OCR progress for doc.pdf' });
    expect(bar).toHaveAttribute('aria-valuenow', '33');
    // The page being read is shown at work, not as a bar standing still.
    expect(within(r).getByText('Recognising page 2 of 3…')).toBeInTheDocument();
    expect(bar).toHaveAttribute('aria-valuetext', '33%, Recognising page 2 of 3…');
    expect(within(bar).getByTestId('progress-working').style.left).toBe('33%');

    // A single page: at 0 % the whole bar is the page at work.
    es.emit('task', task({ id: 'T9', filename: 'one.png', status: 'processing', pages_total: 1, pages_done: 0 }));
    const one = rowOf('one.png');
    expect(within(one).getByText('Recognising…')).toBeInTheDocument();
    const oneBar = within(one).getByRole('progressbar');
    expect(oneBar).toHaveAttribute('aria-valuenow', '0');
    expect(within(oneBar).getByTestId('progress-working').style.width).toBe('100%');

    es.emit(
      'task',
      task({
        id: 'T1',
        filename: 'doc.pdf',
        status: 'completed',
        pages_total: 3,
        pages_done: 3,
        duration_ms: 4200,
        files: [
          { id: 'in', kind: 'input', name: 'doc.pdf', size: 10, content_type: 'application/pdf', created_at: '' },
          { id: 'f1', kind: 'txt', name: 'doc.txt', size: 10, content_type: 'text/plain', created_at: '' },
          { id: 'f2', kind: 'pdf', name: 'doc.ocr.pdf', size: 10, content_type: 'application/pdf', created_at: '' },
        ],
      }),
    );
    r = rowOf('doc.pdf');
    expect(r).toHaveAttribute('data-status', 'completed');
    expect(within(r).getByText('3 / 3 pages')).toBeInTheDocument();
    expect(within(r).getByRole('link', { name: 'Download text' })).toHaveAttribute('href', '/api/v1/tasks/T1/files/f1');
    expect(within(r).getByRole('link', { name: 'Download PDF' })).toHaveAttribute('href', '/api/v1/tasks/T1/files/f2');
    expect(within(r).queryByRole('link', { name: 'Download original' })).not.toBeInTheDocument();
    expect(within(r).getByRole('link', { name: 'Details' })).toHaveAttribute('href', '/history?task=T1');
    expect(within(r).queryByRole('progressbar')).not.toBeInTheDocument();
    // One stream for everything, left open for the next tasks.
    expect(es.closed).toBe(false);
    expect(FakeEventSource.all).toHaveLength(1);
  });

  it('says where a queued task is in line, as the stream moves it up', async () => {
    stubFetch(engines, noneRunning);
    await ready();
    const es = FakeEventSource.user()!;
    es.emit('task', task({ id: 'L1', filename: 'later.png', status: 'pending', queue_position: 3 }));
    expect(within(rowOf('later.png')).getByText('3rd in line')).toBeInTheDocument();
    es.emit('task', task({ id: 'L1', filename: 'later.png', status: 'pending', queue_position: 1 }));
    expect(within(rowOf('later.png')).getByText('Next in line')).toBeInTheDocument();
    es.emit('task', task({ id: 'L1', filename: 'later.png', status: 'processing', pages_total: 1 }));
    expect(within(rowOf('later.png')).queryByText(/in line/)).not.toBeInTheDocument();
  });

  it('keeps one row per task when the stream tells of it before the upload answers', async () => {
    stubFetch(engines, noneRunning);
    await ready();
    drop([file('fast.png')]);
    const es = FakeEventSource.user()!;
    es.emit('task', task({ id: 'Q1', filename: 'fast.png', status: 'pending' }));
    es.emit('task', task({ id: 'Q1', filename: 'fast.png', status: 'completed', pages_total: 1, pages_done: 1 }));
    // The answer to the upload is older than what the stream said.
    await FakeXHR.all[0].respond(202, { tasks: [task({ id: 'Q1', filename: 'fast.png' })] });
    expect(rows()).toHaveLength(1);
    expect(rowOf('fast.png')).toHaveAttribute('data-status', 'completed');
  });

  it('follows ten running uploads on one stream, each row with its own progress', async () => {
    stubFetch(engines, noneRunning);
    await ready();
    const names = Array.from({ length: 10 }, (_, i) => `page-${i}.png`);
    drop(names.map((n) => file(n)));
    for (let i = 0; i < 10; i++) {
      await waitFor(() => expect(FakeXHR.pending().length).toBeGreaterThan(0));
      const x = FakeXHR.pending()[0];
      const name = (x.body!.get('file') as File).name;
      await x.respond(202, { tasks: [task({ id: `U-${name}`, filename: name })] });
    }
    const es = FakeEventSource.user()!;
    names.forEach((n, i) => es.emit('task', task({ id: `U-${n}`, filename: n, status: 'processing', pages_total: 10, pages_done: i + 1 })));
    for (const [i, n] of names.entries()) {
      expect(within(rowOf(n)).getByRole('progressbar')).toHaveAttribute('aria-valuenow', String((i + 1) * 10));
    }
    expect(FakeEventSource.all).toHaveLength(1);
  });

  it('shows the error of a failed task and retries it', async () => {
    const failed = task({ id: 'F1', filename: 'bad.png', status: 'failed', error: 'tesseract crashed on page 2', retryable: true });
    const calls: string[] = [];
    stubFetch(engines, noneRunning, (m, u) => {
      if (!u.pathname.startsWith('/api/v1/tasks/F1')) return undefined;
      calls.push(`${m} ${u.pathname}`);
      if (m === 'POST' && u.pathname.endsWith('/retry')) return json({}, 202);
      if (m === 'GET') return json({ ...failed, status: 'pending', error: '', attempts: 2 });
      return undefined;
    });
    await ready();
    act(() => {
      useTaskStore.getState().upsert(failed, { recent: true });
      useUploadStore.getState().showTasks([failed]);
    });

    const r = rowOf('bad.png');
    expect(r).toHaveAttribute('data-status', 'failed');
    expect(within(r).getByRole('alert')).toHaveTextContent('tesseract crashed on page 2');

    await userEvent.click(within(r).getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(rowOf('bad.png')).toHaveAttribute('data-status', 'pending'));
    expect(calls).toEqual(['POST /api/v1/tasks/F1/retry', 'GET /api/v1/tasks/F1']);
    expect(within(rowOf('bad.png')).queryByRole('alert')).not.toBeInTheDocument();
    // Running again: the stream moves it on.
    FakeEventSource.user()!.emit('task', { ...failed, status: 'processing', error: '', pages_total: 2, pages_done: 1 });
    expect(within(rowOf('bad.png')).getByText('1 / 2 pages')).toBeInTheDocument();
  });

  it('explains a retry the server refuses', async () => {
    const failed = task({ id: 'F2', filename: 'nope.png', status: 'failed', error: 'boom', retryable: true });
    stubFetch(engines, noneRunning, (m, u) =>
      m === 'POST' && u.pathname === '/api/v1/tasks/F2/retry'
        ? json({ error: { code: 'conflict', message: 'The task is already running.' } }, 409)
        : undefined,
    );
    await ready();
    act(() => {
      useTaskStore.getState().upsert(failed);
      useUploadStore.getState().showTasks([failed]);
    });
    await userEvent.click(within(rowOf('nope.png')).getByRole('button', { name: 'Retry' }));
    expect(await within(rowOf('nope.png')).findByText('The task is already running.')).toBeInTheDocument();
  });

  it('lists and watches tasks still running from before', async () => {
    const old = task({ id: 'R1', filename: 'old.tif', status: 'processing', pages_total: 4, pages_done: 2 });
    stubFetch(engines, (m, u) => {
      if (m !== 'GET' || u.pathname !== '/api/v1/tasks') return undefined;
      const items = u.searchParams.get('status') === 'processing' ? [old] : [];
      return json({ items, total: items.length, page: 1, page_size: 200 });
    });
    await ready();
    const r = await waitFor(() => rowOf('old.tif'));
    expect(r).toHaveAttribute('data-status', 'processing');
    expect(within(r).getByText('2 / 4 pages')).toBeInTheDocument();
    FakeEventSource.user()!.emit('task', { ...old, pages_done: 3 });
    expect(within(rowOf('old.tif')).getByText('3 / 4 pages')).toBeInTheDocument();
  });

  it('clears finished rows but keeps running ones', async () => {
    stubFetch(engines, noneRunning);
    await ready();
    const done = task({ id: 'D1', filename: 'done.png', status: 'completed', pages_total: 1, pages_done: 1 });
    const busy = task({ id: 'B1', filename: 'busy.png', status: 'processing' });
    act(() => {
      for (const t of [done, busy]) useTaskStore.getState().upsert(t);
      useUploadStore.getState().showTasks([done, busy]);
    });
    drop([file('empty.png', 0)]);
    expect(rows()).toHaveLength(3);

    await userEvent.click(screen.getByRole('button', { name: 'Clear finished' }));
    expect(rows()).toHaveLength(1);
    expect(rowOf('busy.png')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Clear finished' })).toBeDisabled();
    // Only the list changed, nothing was deleted on the server.
    expect(useTaskStore.getState().byId.D1).toBeDefined();
  });

  it('opens no stream of its own: leaving the page leaves the tab’s stream alone', async () => {
    const busy = task({ id: 'B2', filename: 'busy.png', status: 'processing' });
    stubFetch(engines, noneRunning);
    const view = await ready();
    act(() => {
      useTaskStore.getState().upsert(busy);
      useUploadStore.getState().showTasks([busy]);
    });
    expect(FakeEventSource.all).toHaveLength(1);
    view.unmount();
    expect(FakeEventSource.live()).toHaveLength(1);
  });

  it('lists a task another tab uploads as soon as the stream tells of it', async () => {
    stubFetch(engines, noneRunning);
    await ready();
    FakeEventSource.user()!.emit('task', task({ id: 'O1', filename: 'other-tab.png', status: 'pending' }));
    expect(rowOf('other-tab.png')).toHaveAttribute('data-status', 'pending');
    FakeEventSource.user()!.emit('deleted', { id: 'O1' });
    expect(rows()[0]).toHaveAttribute('data-status', 'gone');
  });

});
