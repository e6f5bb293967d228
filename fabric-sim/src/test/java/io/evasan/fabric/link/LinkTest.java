package io.evasan.fabric.link;

import io.evasan.fabric.frame.EncapsulationDescriptor;
import io.evasan.fabric.frame.Frame;
import io.evasan.fabric.frame.FrameHeader;
import io.evasan.fabric.frame.FrameHeaderDescriptor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class LinkTest {
    /** Generous bound on waiting for an event that must come; never a performance threshold. */
    static final long WAIT_SECONDS = 30;

    static Link open(String kind) {
        return kind.equals("tcp") ? new TcpLink("t") : new InMemoryLink("m");
    }

    static Frame frame(int n) {
        return new Frame(FrameHeader.request(FrameHeaderDescriptor.R_CTL_DD_SOL_DATA, FrameHeaderDescriptor.TYPE_FCP, 1,
                2, n & 0xFFFF).withParameter(n), new byte[n % 64]);
    }

    /** Records what an end receives: Frame parameters as Integers, "up", "down". */
    static final class Recorder implements LinkEnd.Receiver {
        final BlockingQueue<Object> events = new LinkedBlockingQueue<>();

        @Override
        public void received(byte[] encapsulated) {
            try {
                events.add(EncapsulationDescriptor.decode(encapsulated).frame().header().parameter());
            } catch (Exception e) {
                events.add(e);
            }
        }

        @Override
        public void linkUp() {
            events.add("up");
        }

        @Override
        public void linkDown() {
            events.add("down");
        }

        Object next() throws InterruptedException {
            Object o = events.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertNotNull(o, "nothing arrived");
            return o;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "tcp"})
    void shouldDeliverEveryFrameInOrderBothWays(String kind) throws Exception {
        try (Link link = open(kind)) {
            Recorder ra = new Recorder();
            Recorder rb = new Recorder();
            link.a().receiver(ra);
            link.b().receiver(rb);
            for (int i = 0; i < 500; i++) {
                link.a().send(frame(i));
                link.b().send(frame(10_000 + i));
            }
            for (int i = 0; i < 500; i++) {
                assertEquals(i, rb.next());
                assertEquals(10_000 + i, ra.next());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "tcp"})
    void shouldReportDownAndUpOnceOnBothEndsAndLoseFramesInBetween(String kind) throws Exception {
        try (Link link = open(kind)) {
            Recorder ra = new Recorder();
            Recorder rb = new Recorder();
            link.a().receiver(ra);
            link.b().receiver(rb);
            link.down();
            link.down();
            assertEquals("down", ra.next());
            assertEquals("down", rb.next());
            assertFalse(link.a().isUp());
            link.a().send(frame(1));
            link.up();
            link.up();
            assertEquals("up", ra.next());
            assertEquals("up", rb.next());
            link.a().send(frame(2));
            assertEquals(2, rb.next(), "the frame sent while down is lost");
            assertTrue(ra.events.isEmpty());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "tcp"})
    void shouldDropDelayAndBlackHoleOneDirectionOnly(String kind) throws Exception {
        try (Link link = open(kind)) {
            Recorder ra = new Recorder();
            Recorder rb = new Recorder();
            link.a().receiver(ra);
            link.b().receiver(rb);
            link.faults(Link.Direction.A_TO_B).dropNext(3);
            for (int i = 0; i < 5; i++) {
                link.a().send(frame(i));
            }
            assertEquals(3, rb.next());
            assertEquals(4, rb.next());
            assertEquals(3, link.faults(Link.Direction.A_TO_B).dropped());

            link.faults(Link.Direction.A_TO_B).blackHole(true);
            link.a().send(frame(5));
            link.b().send(frame(6));
            assertEquals(6, ra.next(), "the other direction still flows");
            link.faults(Link.Direction.A_TO_B).clear().delay(20);
            link.a().send(frame(7));
            link.a().send(frame(8));
            assertEquals(7, rb.next(), "frame 5 went into the black hole");
            assertEquals(8, rb.next());
            assertTrue(link.a().isUp() && link.b().isUp(), "faults are not link state");
        }
    }

    @Test
    void shouldLoseTheSameFramesForTheSameSeed() throws Exception {
        long seed = new Random().nextLong();
        System.out.println("LinkTest loss seed " + seed);
        try (Link link = new InMemoryLink("loss")) {
            Recorder rb = new Recorder();
            link.b().receiver(rb);
            link.faults(Link.Direction.A_TO_B).loss(0.3, seed);
            for (int i = 0; i < 200; i++) {
                link.a().send(frame(i));
            }
            Random again = new Random(seed);
            int delivered = 0;
            for (int i = 0; i < 200; i++) {
                if (!(again.nextDouble() < 0.3)) {
                    assertEquals(i, rb.next(), "seed " + seed);
                    delivered++;
                }
            }
            assertEquals(200 - delivered, link.faults(Link.Direction.A_TO_B).dropped(), "seed " + seed);
        }
    }

    @Test
    void shouldCloseATcpConnectionThatCarriesAMalformedEncapsulation() throws Exception {
        try (TcpLink link = new TcpLink("bad")) {
            Recorder ra = new Recorder();
            Recorder rb = new Recorder();
            link.a().receiver(ra);
            link.b().receiver(rb);
            byte[] garbage = new byte[EncapsulationDescriptor.HEADER_LENGTH];
            garbage[0] = 7;
            link.a().send(garbage);
            assertEquals("down", rb.next());
            assertEquals("down", ra.next());
            assertEquals(1, ((TcpLinkEnd) link.b()).streamErrors());
            link.up();
            assertEquals("up", ra.next());
            link.a().send(frame(9));
            assertEquals("up", rb.next());
            assertEquals(9, rb.next());
        }
    }
}
