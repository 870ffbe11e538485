// Loading data for a page: the result, the error in words, and a way to load again after a change.
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
