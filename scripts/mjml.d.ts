// The part of mjml 5's API the build step uses (the package ships no types).
declare module 'mjml' {
  interface MjmlOptions {
    filePath?: string;
    validationLevel?: 'strict' | 'soft' | 'skip';
    minify?: boolean;
    minifyOptions?: { minifyCss?: boolean };
    keepComments?: boolean;
    ignoreIncludes?: boolean;
    includePath?: string | string[];
  }
  interface MjmlResult {
    html: string;
    errors: { line: number; message: string; tagName: string; formattedMessage: string }[];
  }
  export default function mjml2html(source: string, options?: MjmlOptions): Promise<MjmlResult>;
}
