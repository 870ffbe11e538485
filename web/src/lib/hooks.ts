// The state every page repeats: loading its data (the result, the error in words, a way to load
// again after a change), running an action with a busy control and its failure in words, and which
// dialog is open with the notice the last finished one left.
import { useCallback, useEffect, useRef, useState } from 'react';
import { errorText } from './api';

export interface Resource<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
  reload: () => Promise<void>;
}

export function useResource<T>(load: () => Promise<T>, deps: readonly unknown[]): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const loader = useRef(load);
  loader.current = load;
  const key = JSON.stringify(deps);
  const run = useCallback(async () => {
    const mine = ++generation.current;
    setLoading(true);
    try {
      const value = await loader.current();
      if (mine !== generation.current) return;
      setData(value);
      setError(null);
    } catch (err) {
      if (mine !== generation.current) return;
      setError(errorText(err));
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: loads again whenever the caller's inputs (key) change
  useEffect(() => {
    void run();
  }, [run, key]);
  return { data, error, loading, reload: run };
}

/** Sets the document title for the page. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Delivr`;
  }, [title]);
}

export interface Action {
  busy: boolean;
  error: string | null;
  /**
   * Runs `work` with the control busy. A failure becomes `error` in words and frees the control; on
   * success it stays busy, because the page moves on (it navigates, closes the dialog, or replaces the form).
   */
  run: (work: () => Promise<void>) => Promise<void>;
  /** Shows a problem found before sending (two passwords that differ). */
  setError: (message: string | null) => void;
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  return { busy, error, run, setError };
}

export interface Dialogs<D> {
  /** The open dialog, or null. */
  dialog: D | null;
  /** What the last finished action did, shown until the page starts a new one. */
  done: string | null;
  /** A new action from the page (its Create button): opens its dialog and clears the last notice. */
  start: (dialog: D) => void;
  /** Opens a dialog, or moves on to the next one (a new secret after creating), keeping the notice. */
  open: (dialog: D) => void;
  close: () => void;
  /** Closes the dialog and says what was done. */
  finish: (message: string) => void;
}

export function useDialogs<D>(): Dialogs<D> {
  const [dialog, setDialog] = useState<D | null>(null);
  const [done, setDone] = useState<string | null>(null);
  return {
    dialog,
    done,
    start: (d) => {
      setDone(null);
      setDialog(d);
    },
    open: setDialog,
    close: () => setDialog(null),
    finish: (message) => {
      setDone(message);
      setDialog(null);
    },
  };
}
