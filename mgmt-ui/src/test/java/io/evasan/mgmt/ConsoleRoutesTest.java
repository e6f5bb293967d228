package io.evasan.mgmt;

import io.evasan.mgmt.impl.ConsoleRoutes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bundled console: served without a token at / and /console/*, with its content type,
 * Cache-Control + ETag, and the security headers (CSP default-src 'self', nosniff) on every answer;
 * every module the pages import is in the jar; nothing outside the console folder is reachable;
 * the files themselves stay within the CSP (no inline script/style/handlers, no other origin).
 */
class ConsoleRoutesTest extends ApplianceTest {
    static final Pattern IMPORT = Pattern.compile("(?m)^\\s*import\\s+[^;]*?from\\s+'([^']+)'|^\\s*import\\s+'([^']+)'");
    static final Pattern HTML_REF = Pattern.compile("(?:src|href)=\"([^\"]+)\"");



    static void assertSecurityHeaders(HttpResponse<?> r) {
        String csp = r.headers().firstValue("content-security-policy").orElse("");
        assertTrue(csp.startsWith("default-src 'self'"), "CSP " + csp);
        assertEquals(ConsoleRoutes.CSP, csp);
        assertEquals("nosniff", r.headers().firstValue("x-content-type-options").orElse(""));
        assertEquals("DENY", r.headers().firstValue("x-frame-options").orElse(""));
        assertEquals("no-referrer", r.headers().firstValue("referrer-policy").orElse(""));
    }

    @Test
    void shouldServeTheIndexAtRootWithoutTokenAndWithSecurityHeaders() {
        HttpResponse<String> r = f.send("GET", "/", null, null);
        assertEquals(200, r.statusCode());
        assertEquals("text/html; charset=utf-8", r.headers().firstValue("content-type").orElse(""));
        assertEquals("no-cache", r.headers().firstValue("cache-control").orElse(""));
        assertTrue(r.headers().firstValue("etag").orElse("").matches("\"[0-9a-f]{24}\""), r.headers().map().toString());
        assertSecurityHeaders(r);
        assertTrue(r.body().contains("<script type=\"module\" src=\"/console/app.js\"></script>"), r.body());
        // the API behind it still needs the token
        assertEquals(401, f.send("GET", "/api/luns", null, null).statusCode());
    }

    @Test
    void shouldServeEveryReferencedAndImportedAssetWithItsContentType() {
        Map<String, String> types = Map.of("js", "text/javascript; charset=utf-8", "css", "text/css; charset=utf-8",
                "svg", "image/svg+xml", "html", "text/html; charset=utf-8");
        Set<String> visited = new LinkedHashSet<>();
        Deque<String> pending = new ArrayDeque<>();
        Matcher m = HTML_REF.matcher(f.send("GET", "/", null, null).body());
        while (m.find()) {
            if (m.group(1).startsWith("/console/")) {
                pending.add(m.group(1));
            }
        }
        while (!pending.isEmpty()) {
            String path = pending.poll();
            if (!visited.add(path)) {
                continue;
            }
            HttpResponse<String> r = f.send("GET", path, null, null);
            assertEquals(200, r.statusCode(), path);
            String ext = path.substring(path.lastIndexOf('.') + 1);
            assertEquals(types.get(ext), r.headers().firstValue("content-type").orElse(""), path);
            assertSecurityHeaders(r);
            if (ext.equals("js")) {
                Matcher im = IMPORT.matcher(r.body());
                while (im.find()) {
                    String spec = im.group(1) != null ? im.group(1) : im.group(2);
                    assertTrue(spec.startsWith("./") || spec.startsWith("../"), path + " imports " + spec + " (relative modules only)");
                    pending.add(java.net.URI.create(path).resolve(spec).getPath());
                }
            }
        }
        assertTrue(visited.containsAll(Set.of("/console/app.js", "/console/style.css", "/console/events.js", "/console/api.js",
                "/console/charts.js", "/console/pages/dashboard.js", "/console/pages/luns.js", "/console/pages/lun.js",
                "/console/pages/controllers.js")), visited.toString());
    }

    @Test
    void shouldAnswerNotModifiedForTheCurrentEtag() throws Exception {
        HttpResponse<String> first = f.send("GET", "/console/app.js", null, null);
        String etag = first.headers().firstValue("etag").orElseThrow();
        HttpResponse<String> again = f.http.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + f.port + "/console/app.js")).header("If-None-Match", etag).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(304, again.statusCode());
        assertEquals("", again.body());
        assertSecurityHeaders(again);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/console/missing.js", "/console/App.js", "/console/app.exe", "/console/", "/console/.hidden.js",
            "/console/%2e%2e/openapi.json", "/console/..%2Fopenapi.json", "/console/pages/../../openapi.json",
            "/console/io/evasan/mgmt/openapi.json", "/console/app.js%00.css"})
    void shouldRefuseAnythingOutsideTheConsoleFolder(String path) throws Exception {
        // raw request line: no client-side normalisation of the path
        String answer = raw("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        String status = answer.substring(0, answer.indexOf("\r\n"));
        assertTrue(status.contains(" 404 ") || status.contains(" 400 "), path + " -> " + status);
        assertFalse(answer.contains("\"openapi\""), path + " leaked the OpenAPI document");
    }

    @Test
    void shouldSendSecurityHeadersWithTheNotFoundAnswer() {
        HttpResponse<String> r = f.send("GET", "/console/nothing-here.js", null, null);
        assertEquals(404, r.statusCode());
        assertSecurityHeaders(r);
    }

    @Test
    void shouldKeepTheBundledFilesWithinTheContentSecurityPolicy() throws IOException {
        String index = resource("index.html");
        assertFalse(Pattern.compile("<script(?![^>]*\\bsrc=)[^>]*>").matcher(index).find(), "inline <script> in index.html");
        assertFalse(Pattern.compile("\\son[a-z]+=").matcher(index).find(), "inline event handler in index.html");
        assertFalse(index.contains("style="), "inline style attribute in index.html");
        assertFalse(index.contains("<style"), "inline <style> in index.html");
        for (String js : new String[]{"app.js", "api.js", "events.js", "dom.js", "ui.js", "charts.js",
                "pages/dashboard.js", "pages/luns.js", "pages/lun.js", "pages/controllers.js"}) {
            String text = resource(js);
            assertFalse(text.contains("innerHTML"), js + " uses innerHTML");
            assertFalse(text.contains("eval("), js + " uses eval");
            assertFalse(Pattern.compile("setAttribute\\(\\s*'style'").matcher(text).find(), js + " sets a style attribute");
            assertNoOtherOrigin(js, text);
        }
        assertNoOtherOrigin("style.css", resource("style.css"));
        assertNoOtherOrigin("index.html", index);
    }

    private static void assertNoOtherOrigin(String name, String text) {
        Matcher m = Pattern.compile("(?i)(https?:)?//[a-z0-9.-]+\\.[a-z]{2,}").matcher(text);
        while (m.find()) {
            String hit = m.group();
            assertTrue(hit.equals("http://www.w3.org") || hit.equals("https://html.spec.whatwg.org"),
                    name + " refers to another origin: " + hit);
        }
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = ConsoleRoutes.class.getResourceAsStream(ConsoleRoutes.ROOT + name)) {
            assertTrue(in != null, name + " missing from the jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String raw(String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", f.port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
