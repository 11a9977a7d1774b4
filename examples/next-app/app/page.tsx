import { Buttons } from './buttons';

export default function Home() {
  return (
    <main>
      <h1>wasm-rum on Next.js</h1>
      <p>Vitals, errors and traced calls go to the collector.</p>
      <Buttons />
    </main>
  );
}
