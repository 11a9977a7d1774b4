import type { ReactNode } from 'react';

export const metadata = { title: 'wasm-rum Next.js example' };

// No next/font/google: the build stays offline.
export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
