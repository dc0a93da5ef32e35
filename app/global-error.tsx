"use client";

export default function GlobalError({ error }: { error: Error & { digest?: string } }) {
  return (
    <html lang="en">
      <body style={{ fontFamily: "system-ui, sans-serif", padding: 40, textAlign: "center" }}>
        <h1>Something went wrong</h1>
        <p>Meterdesk could not load{error.digest ? ` (ref ${error.digest})` : ""}. Reload the page to try again.</p>
      </body>
    </html>
  );
}
