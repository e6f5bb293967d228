package io.evasan.mgmt.cli;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Collection;

/**
 * HTTP client of the management REST API: one request per call, {@code Authorization: Bearer <token>}
 * on every request, JSON bodies through Vert.x {@link JsonObject}. Invariant: a call either returns a
 * 1xx-3xx {@link Response}, or throws {@link ApiException} (the appliance answered 4xx/5xx) or
 * {@link UnreachableException} (no answer); it never retries, so no request is sent twice.
 */
public final class ApiClient {
    /** An answer with status below 400. {@code body} is "" for 204. */
    public record Response(int status, String body) {
        public JsonObject object() {
            return parse(JsonObject::new, "object");
        }

        public JsonArray array() {
            return parse(JsonArray::new, "array");
        }

        /** The body decoded; IllegalStateException naming the status and the expected JSON type when it is not one. */
        private <T> T parse(java.util.function.Function<String, T> decode, String type) {
            try {
                return decode.apply(body);
            } catch (DecodeException | ClassCastException e) {
                throw new IllegalStateException("the appliance answered " + status + " with a body that is not a JSON " + type + ": "
                        + abbreviate(body), e);
            }
        }
    }

    private final String base;
    private final String token;
    private final Duration timeout;
    private final HttpClient http;

    /**
     * @param base    http:// or https:// URL of the appliance, without a trailing slash
     * @param token   the API token, or null to send none
     * @param ssl     TLS context for https (null = the JDK's default trust store)
     * @param timeout connect and answer timeout
     */
    public ApiClient(String base, String token, SSLContext ssl, Duration timeout) {
        this.base = base;
        this.token = token;
        this.timeout = timeout;
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER);
        if (ssl != null) {
            b.sslContext(ssl);
        }
        this.http = b.build();
    }

    public String base() {
        return base;
    }

    public boolean hasToken() {
        return token != null;
    }

    /** Percent-encodes one path segment (a LUN, snapshot, schedule or job name). */
    public static String seg(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    public Response get(String path) {
        return send("GET", path, null);
    }

    public Response post(String path, JsonObject body) {
        return send("POST", path, body);
    }

    public Response put(String path, JsonObject body) {
        return send("PUT", path, body);
    }

    public Response patch(String path, JsonObject body) {
        return send("PATCH", path, body);
    }

    public Response delete(String path) {
        return send("DELETE", path, null);
    }

    /** Sends one request and returns the answer, or throws as the class documents. */
    public Response send(String method, String path, JsonObject body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body.encode(), StandardCharsets.UTF_8))
                .header("Accept", "application/json, text/plain");
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnreachableException("interrupted while waiting for " + base, e);
        }
        if (r.statusCode() >= 400) {
            throw error(r.statusCode(), r.body());
        }
        return new Response(r.statusCode(), r.body() == null ? "" : r.body());
    }

    /**
     * Reads a server-sent-event stream (GET {@code path}, {@code text/event-stream}): each line goes to
     * {@code line} until it returns false or the appliance ends the stream. Only the connect timeout
     * applies (the stream is quiet between events).
     *
     * @return true when {@code line} asked to stop, false when the appliance ended the stream
     */
    public boolean stream(String path, java.util.function.Predicate<String> line) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).GET().header("Accept", "text/event-stream");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<java.util.stream.Stream<String>> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofLines());
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnreachableException("interrupted while waiting for " + base, e);
        }
        try (java.util.stream.Stream<String> lines = r.body()) {
            if (r.statusCode() >= 400) {
                throw error(r.statusCode(), String.join("\n", (Iterable<String>) lines::iterator));
            }
            java.util.Iterator<String> it = lines.iterator();
            while (it.hasNext()) {
                if (!line.test(it.next())) {
                    return true;
                }
            }
            return false;
        } catch (java.io.UncheckedIOException e) {
            throw unreachable(e.getCause());
        }
    }

    private static ApiException error(int status, String body) {
        String text = null;
        String field = null;
        String code = null;
        try {
            JsonObject o = new JsonObject(body);
            text = o.getValue("error") instanceof String s ? s : null;
            field = o.getValue("field") instanceof String s ? s : null;
            code = o.getValue("code") instanceof String s ? s : null;
        } catch (RuntimeException e) {
            // not the appliance's JSON error body (a proxy, or another server): report the text
        }
        if (text == null) {
            text = body == null || body.isBlank() ? "(no error text)" : abbreviate(body.strip());
        }
        return new ApiException(status, text, field, code, body);
    }

    private UnreachableException unreachable(IOException e) {
        String why;
        if (e instanceof HttpConnectTimeoutException) {
            why = "no connection within " + Units.formatSeconds(timeout.toSeconds()) + " (--timeout)";
        } else if (e instanceof HttpTimeoutException) {
            why = "no answer within " + Units.formatSeconds(timeout.toSeconds())
                    + " (--timeout); the appliance may still complete the request";
        } else if (find(e, SSLHandshakeException.class) != null) {
            why = "TLS handshake failed: " + message(find(e, SSLHandshakeException.class))
                    + "; trust the appliance's certificate with --cacert FILE (or skip the check with --insecure)";
        } else if (find(e, ConnectException.class) != null) {
            // the JDK client reports a refused connection as a ConnectException without a message
            why = anyMessage(e);
            if (why == null) {
                why = "connection refused";
            }
        } else {
            why = message(e);
        }
        return new UnreachableException("cannot reach " + base + ": " + why, e);
    }

    private static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }

    /** The first non-blank message in the cause chain, with a lower-case first letter, or null. */
    private static String anyMessage(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = c.getMessage();
            if (m != null && !m.isBlank()) {
                return Character.toLowerCase(m.charAt(0)) + m.substring(1);
            }
        }
        return null;
    }

    /** {@link #anyMessage}, else the exception's type name. */
    private static String message(Throwable t) {
        String m = anyMessage(t);
        return m != null ? m : t.getClass().getName();
    }

    static String abbreviate(String s) {
        if (s == null) {
            return "";
        }
        String one = s.replaceAll("\\s+", " ");
        return one.length() <= 200 ? one : one.substring(0, 200) + "...";
    }

    /**
     * A TLS context that trusts exactly the certificates in the PEM file {@code caPem} (a self-signed
     * appliance certificate, or the CA that signed it). Host names are still verified.
     *
     * @throws IllegalArgumentException with a message for the user when the file cannot be read or holds no certificate
     */
    public static SSLContext trusting(Path caPem) {
        try (InputStream in = Files.newInputStream(caPem)) {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certs.isEmpty()) {
                throw new IllegalArgumentException("--cacert " + caPem + ": no certificate in the file");
            }
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (Certificate c : certs) {
                ks.setCertificateEntry("ca" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException e) {
            throw new IllegalArgumentException("--cacert " + caPem + ": cannot read: " + message(e));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("--cacert " + caPem + ": not a PEM certificate: " + message(e));
        }
    }

    /**
     * A TLS context that accepts any server certificate and any host name ({@code --insecure}):
     * the connection is encrypted but the server is not authenticated.
     */
    public static SSLContext trustingAnything() {
        TrustManager any = new X509ExtendedTrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[]{any}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no TLS in this JVM", e);
        }
    }
}
