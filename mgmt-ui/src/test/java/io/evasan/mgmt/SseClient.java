package io.evasan.mgmt;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Reads a text/event-stream line by line on its own thread; frames are collected as (event, data). */
final class SseClient implements AutoCloseable {
    /** One dispatched frame; comments arrive as event ":" with the comment text as data. */
    record Frame(String event, String data) {
    }

    final HttpResponse<InputStream> response;
    private final LinkedBlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
    private final Thread reader;
    private final List<Frame> seen = new ArrayList<>();

    private SseClient(HttpResponse<InputStream> response) {
        this.response = response;
        this.reader = new Thread(this::read, "sse-test-reader");
        reader.setDaemon(true);
        reader.start();
    }

    static SseClient open(HttpClient http, int port, String authHeader) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/events"))
                .header("Accept", "text/event-stream").GET();
        if (authHeader != null) {
            b.header("Authorization", authHeader);
        }
        return new SseClient(http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream()));
    }

    private void read() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String event = null;
            StringBuilder data = null;
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isEmpty()) {
                    if (data != null) {
                        frames.add(new Frame(event == null ? "message" : event, data.toString()));
                    }
                    event = null;
                    data = null;
                } else if (line.startsWith(":")) {
                    frames.add(new Frame(":", line.substring(1).trim()));
                } else if (line.startsWith("event:")) {
                    event = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    String v = line.substring(5);
                    v = v.startsWith(" ") ? v.substring(1) : v;
                    data = data == null ? new StringBuilder(v) : data.append('\n').append(v);
                } else if (line.startsWith("retry:")) {
                    frames.add(new Frame("retry", line.substring(6).trim()));
                }
            }
        } catch (IOException e) {
            // closed by the test or the server
        }
    }

    /** The next frame named {@code event} within the timeout (frames of other names are skipped but kept in {@link #seen()}). */
    Frame await(String event, long millis) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (true) {
            long left = end - System.nanoTime();
            Frame f = left <= 0 ? null : frames.poll(left, TimeUnit.NANOSECONDS);
            if (f == null) {
                throw new AssertionError("no '" + event + "' frame within " + millis + " ms; saw " + seen);
            }
            seen.add(f);
            if (f.event().equals(event)) {
                return f;
            }
        }
    }

    /** Next frame named {@code event} whose data contains {@code text}. */
    Frame await(String event, String text, long millis) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        while (true) {
            Frame f = await(event, Math.max(1, end - System.currentTimeMillis()));
            if (f.data().contains(text)) {
                return f;
            }
        }
    }

    /** Waits until the server ends the stream (end of input or connection reset). */
    void awaitEnd(long millis) throws InterruptedException {
        reader.join(millis);
        if (reader.isAlive()) {
            throw new AssertionError("the stream is still open after " + millis + " ms");
        }
    }

    List<Frame> seen() {
        return seen;
    }

    @Override
    public void close() throws IOException {
        response.body().close();
    }

    static HttpClient client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    }
}
