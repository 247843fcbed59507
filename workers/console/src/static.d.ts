// The client's files, bundled as text (wrangler.toml [[rules]]; the local server's esbuild loader).
declare module "*.html" {
  const text: string;
  export default text;
}
declare module "*.css" {
  const text: string;
  export default text;
}
declare module "*.client.js" {
  const text: string;
  export default text;
}
