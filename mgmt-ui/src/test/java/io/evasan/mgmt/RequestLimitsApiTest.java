package io.evasan.mgmt;

import io.evasan.mgmt.impl.RequestLimits;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Request bodies (issue 11, points 4 and 8): what the API reads, refuses, and that a refused request writes nothing.
 */
class RequestLimitsApiTest {
    static ApplianceFixture f;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    static final String BOUNDARY = "----evasanTestBoundary";

    @BeforeAll
    static void up() throws IOException {
        f = new ApplianceFixture();
    }

    @AfterAll
    static void down() throws IOException {
        f.close();
    }

    private static HttpResponse<String> raw(String method, String path, String contentType, HttpRequest.BodyPublisher body,
                                            String auth) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + f.port + path))
                .timeout(Duration.ofSeconds(60)).method(method, body);
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        if (auth != null) {
            b.header("Authorization", auth);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static byte[] multipart(int fileBytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] data = new byte[fileBytes];
        Arrays.fill(data, (byte) 0x5a);
        out.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"60k.bin\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(data);
        out.writeBytes(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /** Every file and directory under {@code root}, except surefire's own reports (written while tests run). */
    private static Set<String> tree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.map(p -> root.relativize(p).toString())
                    .filter(p -> !p.startsWith("target/surefire"))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static JsonObject error(HttpResponse<String> r, int status, String field) {
        assertEquals(status, r.statusCode(), r.body());
        JsonObject e = new JsonObject(r.body());
        assertEquals(field, e.getString("field"), r.body());
        return e;
    }

    @Test
    void shouldWriteNoFileForRefusedUploadsOrBodies() throws Exception {
        Path cwd = Path.of("").toAbsolutePath();
        Set<String> before = tree(cwd);
        Set<String> dataBefore = tree(f.dir);
        byte[] upload = multipart(60 * 1024);
        for (int i = 0; i < 20; i++) {   // no token: 401, the body is never read
            HttpResponse<String> r = raw("POST", "/api/luns", "multipart/form-data; boundary=" + BOUNDARY,
                    HttpRequest.BodyPublishers.ofByteArray(upload), i % 2 == 0 ? null : "Bearer not-the-token");
            error(r, 401, "Authorization");
        }
        assertFalse(Files.exists(cwd.resolve("file-uploads")), "no file-uploads directory after refused uploads");
        assertEquals(before, tree(cwd), "no file appeared in the working directory after refused uploads");
        assertEquals(dataBefore, tree(f.dir), "no file appeared in the data directory after refused uploads");
        for (int i = 0; i < 5; i++) {    // with the token: 415, still nothing read or stored
            error(raw("POST", "/api/luns", "multipart/form-data; boundary=" + BOUNDARY,
                    HttpRequest.BodyPublishers.ofByteArray(upload), "Bearer " + f.token), 415, "Content-Type");
        }
        byte[] big = new byte[3 << 20];
        Arrays.fill(big, (byte) ' ');
        error(raw("POST", "/api/luns", "application/json", HttpRequest.BodyPublishers.ofByteArray(big), null), 401, "Authorization");
        error(raw("POST", "/api/luns", "application/json", HttpRequest.BodyPublishers.ofByteArray(big), "Bearer " + f.token),
                413, "body");
        assertFalse(Files.exists(cwd.resolve("file-uploads")), "no file-uploads directory");
        assertEquals(before, tree(cwd), "no file appeared in the working directory");
        assertEquals(dataBefore, tree(f.dir), "no file appeared in the data directory");
        assertEquals(200, f.call("GET", "/api/luns", null).statusCode(), "the server still answers");
    }

    @Test
    void shouldAnswer413ForABodyOverTheLimitDeclaredOrChunked() throws Exception {
        byte[] big = new byte[RequestLimits.MAX_BODY_BYTES + 1];
        Arrays.fill(big, (byte) ' ');
        JsonObject e = error(raw("POST", "/api/luns", "application/json", HttpRequest.BodyPublishers.ofByteArray(big),
                "Bearer " + f.token), 413, "body");
        assertTrue(e.getString("error").contains(Integer.toString(RequestLimits.MAX_BODY_BYTES)), e.encode());
        // no Content-Length (chunked): the limit applies while the body arrives
        error(raw("POST", "/api/luns", "application/json",
                HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big)), "Bearer " + f.token), 413, "body");
        // a body of exactly the limit is read (and then judged as JSON)
        byte[] limit = new byte[RequestLimits.MAX_BODY_BYTES];
        Arrays.fill(limit, (byte) ' ');
        limit[0] = '{';
        limit[limit.length - 1] = '}';
        error(raw("POST", "/api/luns", "application/json", HttpRequest.BodyPublishers.ofByteArray(limit),
                "Bearer " + f.token), 400, "name");
    }

    @Test
    void shouldAnswer415ForAFormBodyOfAnySize() throws Exception {
        String form = "name=x&pad=" + "a".repeat(9000);
        JsonObject e = error(raw("POST", "/api/luns", "application/x-www-form-urlencoded",
                HttpRequest.BodyPublishers.ofString(form), "Bearer " + f.token), 415, "Content-Type");
        assertTrue(e.getString("error").contains("application/json"), e.encode());
        error(raw("POST", "/api/luns", "application/x-www-form-urlencoded", HttpRequest.BodyPublishers.ofString("a=b"),
                "Bearer " + f.token), 415, "Content-Type");
        error(raw("POST", "/api/luns", "text/plain", HttpRequest.BodyPublishers.ofString("{\"name\":\"x\"}"),
                "Bearer " + f.token), 415, "Content-Type");
        // no Content-Type: the body is read as JSON (the API's one format), never as a form or an upload
        error(raw("POST", "/api/luns", null, HttpRequest.BodyPublishers.ofString("{\"name\":\"x\"}"),
                "Bearer " + f.token), 400, "sizeBytes");
        error(raw("POST", "/api/luns", null, HttpRequest.BodyPublishers.ofString("name=x"), "Bearer " + f.token), 400, "body");
        // JSON with a charset parameter, or a +json type, is read
        assertEquals(201, raw("POST", "/api/luns", "application/json; charset=utf-8",
                HttpRequest.BodyPublishers.ofString("{\"name\":\"rl1\",\"sizeBytes\":1048576}"), "Bearer " + f.token).statusCode());
        assertEquals(204, f.call("DELETE", "/api/luns/rl1", null).statusCode());
    }

    @Test
    void shouldAnswer400NamingTheBodyWhenItIsNotAJsonObject() throws Exception {
        for (String body : new String[] {"[]", "[{\"name\":\"x\"}]", "\"text\"", "42", "null", "{", "nonsense"}) {
            HttpResponse<String> r = f.call("POST", "/api/luns", body);
            JsonObject e = error(r, 400, "body");
            String text = e.getString("error");
            assertFalse(text.contains("Exception") || text.contains("java."), body + " -> " + text);
            assertTrue(text.contains("JSON"), body + " -> " + text);
        }
        assertTrue(new JsonObject(f.call("POST", "/api/luns", "[]").body()).getString("error")
                .contains("must be a JSON object"));
        assertEquals(0, new io.vertx.core.json.JsonArray(f.call("GET", "/api/luns", null).body()).stream()
                .filter(o -> ((JsonObject) o).getString("name").equals("x")).count(), "nothing created");
    }
}
