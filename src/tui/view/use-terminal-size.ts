/**
 * The terminal's size, updated on resize (80×24 when the stream does not
 * say). `columns` is one less than the terminal's: a line filling the last
 * column makes terminals wrap early and ink then miscounts the lines it
 * must erase on the next frame.
 */
import { useStdout } from 'ink';
import { useEffect, useState } from 'react';

export function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: Math.max(20, (stdout.columns || 80) - 1), rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}
