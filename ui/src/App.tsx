import { lazy, Suspense, useEffect, useState } from 'react';
import { Navigate, Outlet, Route, Routes, useLocation } from 'react-router';
import { SignIn } from './auth/SignIn';
import { ErrorBanner } from './components/ErrorBanner';
import { Spinner } from './components/Spinner';
import { TaskHistory } from './history/TaskHistory';
import { Header } from './shell/Header';
import { useAuthStore } from './stores/authStore';
import { useTaskEventStream } from './stores/taskEvents';
import { UploadPage } from './upload/UploadPage';

// The result viewer is loaded when first opened: the first screen's JS stays small.
const TaskViewer = lazy(() => import('./viewer/TaskViewer'));
// The statistics view too: most visits never open it.
const StatsPage = lazy(() => import('./stats/StatsPage'));

/**
 * App is the route table: /login, and behind sign-in / (upload and live
 * progress), /history (task history; ?task=ID opens a task's details),
 * /stats (statistics) and /tasks/:id (the result viewer; ?page=N&view=image|text&q=search).
 */
export function App() {
  const status = useAuthStore((s) => s.status);
  const [initError, setInitError] = useState<unknown>();
  useEffect(() => {
    useAuthStore.getState().init().catch(setInitError);
  }, []);
  const retry = () => {
    setInitError(undefined);
    useAuthStore.getState().init().catch(setInitError);
  };

  if (initError) {
    return (
      <main className="page">
        <ErrorBanner title="ocrbox is not reachable." error={initError} onRetry={retry} />
      </main>
    );
  }
  if (status === 'unknown') {
    return (
      <main className="page center-page">
        <Spinner label="Starting ocrbox…" />
      </main>
    );
  }
  return (
    <Routes>
      <Route path="/login" element={<SignIn />} />
      <Route element={<RequireAuth />}>
        <Route path="/" element={<UploadPage />} />
        <Route path="/history" element={<TaskHistory />} />
        <Route
          path="/stats"
          element={
            <Suspense fallback={<main className="page center-page"><Spinner label="Loading statistics…" /></main>}>
              <StatsPage />
            </Suspense>
          }
        />
        <Route
          path="/tasks/:id"
          element={
            <Suspense
              fallback={
                <main className="page center-page">
                  <Spinner label="Opening the viewer…" />
                </main>
              }
            >
              <TaskViewer />
            </Suspense>
          }
        />
      </Route>
      <Route path="*" element={<Navigate to="/" replace />} />
    </Routes>
  );
}

/** returnTarget is where sign-in should bring the user back to. */
export function returnTarget(pathname: string, search: string): string {
  return `/login?return_to=${encodeURIComponent(pathname + search)}`;
}

/** RequireAuth shows the app shell when signed in, else sends to sign-in and back. */
function RequireAuth() {
  const status = useAuthStore((s) => s.status);
  const loc = useLocation();
  if (status !== 'signedIn') {
    return <Navigate to={returnTarget(loc.pathname, loc.search)} replace />;
  }
  return (
    <>
      <LiveTaskEvents />
      <Header />
      <Outlet />
    </>
  );
}

/** LiveTaskEvents holds the tab's one event stream while someone is signed in. */
function LiveTaskEvents() {
  useTaskEventStream();
  return null;
}
