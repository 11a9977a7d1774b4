import { useEffect, useState } from 'react';
import { apiOrigin, rum } from './rum';

function busy(ms: number) {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // a slow handler, for INP
  }
}

function Broken(): never {
  throw new Error('render failed in <Broken>');
}

function useRoute(): [string, (path: string) => void] {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const onPop = () => setPath(location.pathname);
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  const go = (p: string) => {
    history.pushState(null, '', p + location.search);
    setPath(p);
  };
  return [path, go];
}

export function App() {
  const [route, go] = useRoute();
  const [banner, setBanner] = useState(false);
  const [broken, setBroken] = useState(false);
  const [products, setProducts] = useState('');

  useEffect(() => {
    rum.setView({ name: route === '/' ? 'home' : route.slice(1) });
  }, [route]);
  useEffect(() => {
    const t = setTimeout(() => setBanner(true), 500);
    return () => clearTimeout(t);
  }, []);

  const load = async () => {
    const r = await fetch(`${apiOrigin}/api/products`);
    setProducts(JSON.stringify(await r.json()).slice(0, 40));
  };

  return (
    <>
      {banner && <div style={{ height: 100, background: '#fd6' }}>Free shipping today!</div>}
      <nav>
        <button id="home" onClick={() => go('/')}>Home</button>
        <button id="about" onClick={() => go('/about')}>About</button>
      </nav>
      <h1 style={{ fontSize: 48 }}>{route === '/' ? 'React shop, measured by wasm-rum' : 'About us'}</h1>
      <img src="/hero.svg" width={600} height={200} alt="" />
      <p>
        <button id="slow" onClick={() => busy(300)}>Slow handler</button>
        <button id="api" onClick={load}>Load products</button>
        <button id="throw" onClick={() => { throw new TypeError('button handler failed'); }}>Throw</button>
        <button id="break" onClick={() => setBroken(true)}>Break a component</button>
      </p>
      <p id="products">{products}</p>
      {broken && <Broken />}
    </>
  );
}
