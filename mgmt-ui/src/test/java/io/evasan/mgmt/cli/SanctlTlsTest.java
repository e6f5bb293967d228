package io.evasan.mgmt.cli;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static io.evasan.mgmt.cli.CliFixture.Run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * sanctl's TLS options against a small JDK HTTPS server with a self-signed certificate: --cacert trusts
 * exactly that certificate, another certificate or none is a TLS failure (exit 3 with the hint), and
 * --insecure skips the check. (The appliance's own TLS switch is tested in SanctlContractCommandsTest.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SanctlTlsTest {
    private HttpsServer server;
    private TestCerts cert;
    private TestCerts other;
    private String url;
    private final AtomicReference<String> authorization = new AtomicReference<>();

    @BeforeAll
    void start() throws Exception {
        Files.createDirectories(Path.of("target", "sanctl-tls"));
        cert = TestCerts.shared("appliance");
        other = TestCerts.shared("stranger");
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(cert.serverContext()));
        server.createContext("/", ex -> {
            authorization.set(ex.getRequestHeaders().getFirst("Authorization"));
            boolean found = ex.getRequestURI().getPath().equals("/api/openapi.json");
            byte[] body = (found ? "{\"openapi\":\"3.0.3\",\"paths\":{}}"
                    : "{\"error\":\"no LUN named 'x'\",\"field\":\"name\",\"code\":\"NOT_FOUND\"}").getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("content-type", "application/json");
            ex.sendResponseHeaders(found ? 200 : 404, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        url = "https://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterAll
    void stop() {
        server.stop(0);
    }

    private Run sanctl(String... args) {
        return CliFixture.sanctl(Map.of("SANCTL_URL", url, "SANCTL_TOKEN", "tls-token"), args);
    }

    @Test
    void shouldTrustTheCertificateGivenWithCacert() {
        Run r = sanctl("--cacert", cert.certPem.toString(), "openapi");
        assertEquals(0, r.exit(), r::toString);
        assertEquals("3.0.3", new JsonObject(r.out()).getString("openapi"));
        assertEquals("Bearer tls-token", authorization.get());
        r = sanctl("--cacert", cert.certPem.toString(), "lun", "show", "x");
        assertEquals(1, r.exit(), r::toString);
        assertEquals("sanctl: 404 no LUN named 'x' (field name)\n", r.err());
    }

    @Test
    void shouldRefuseAnUntrustedCertificateWithExitThree() {
        for (Run r : new Run[]{sanctl("openapi"), sanctl("--cacert", other.certPem.toString(), "openapi")}) {
            assertEquals(3, r.exit(), r::toString);
            assertEquals("", r.out());
            assertTrue(r.err().startsWith("sanctl: cannot reach " + url + ": TLS handshake failed: "), r::toString);
            assertTrue(r.err().endsWith("; trust the appliance's certificate with --cacert FILE (or skip the check with --insecure)\n"),
                    r::toString);
        }
    }

    @Test
    void shouldSkipTheCheckWithInsecure() {
        Run r = sanctl("--insecure", "openapi");
        assertEquals(0, r.exit(), r::toString);
        assertEquals("3.0.3", new JsonObject(r.out()).getString("openapi"));
    }

    @Test
    void shouldRejectACacertFileThatIsNoCertificate() throws Exception {
        Run r = sanctl("--cacert", cert.keyPem.toString(), "openapi");
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().startsWith("sanctl: --cacert " + cert.keyPem), r::toString);
        Path empty = Files.writeString(Path.of("target", "sanctl-tls", "empty.pem"), "");
        r = sanctl("--cacert", empty.toString(), "openapi");
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().startsWith("sanctl: --cacert " + empty), r::toString);
    }
}
