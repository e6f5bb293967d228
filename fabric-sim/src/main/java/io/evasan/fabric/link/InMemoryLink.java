package io.evasan.fabric.link;

import java.util.ArrayDeque;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A link inside one JVM. Each direction delivers on its own single thread (so frames keep their
 * order and a receiver never runs on the sender's stack); delayed frames are scheduled on that same
 * thread, so a fixed delay keeps the order too. Link state changes travel on the same thread as
 * the frames toward that end, so an end never sees a frame sent after a {@code down()} before the
 * down.
 */
public final class InMemoryLink implements Link {
    /** Items one drain task delivers before it lets other tasks of the inbound thread run. */
    private static final int DRAIN_BATCH = 1024;
    private final End a;
    private final End b;
    private final Object stateLock = new Object();
    private volatile boolean up = true;

    public InMemoryLink(String name) {
        a = new End(name + "-a", new LinkFaults());
        b = new End(name + "-b", new LinkFaults());
        a.peer = b;
        b.peer = a;
    }

    @Override
    public LinkEnd a() {
        return a;
    }

    @Override
    public LinkEnd b() {
        return b;
    }

    @Override
    public LinkFaults faults(Direction d) {
        return d == Direction.A_TO_B ? a.outbound : b.outbound;
    }

    @Override
    public void down() {
        synchronized (stateLock) {
            if (!up) {
                return;
            }
            up = false;
            a.deliverState(false);
            b.deliverState(false);
        }
    }

    @Override
    public void up() {
        synchronized (stateLock) {
            if (up) {
                return;
            }
            up = true;
            a.deliverState(true);
            b.deliverState(true);
        }
    }

    @Override
    public void close() {
        a.inbound.shutdownNow();
        b.inbound.shutdownNow();
    }

    private final class End implements LinkEnd {
        final LinkFaults outbound;
        /** Delivers to this end's receiver. */
        final ScheduledExecutorService inbound;
        volatile End peer;
        volatile Receiver receiver;

        End(String name, LinkFaults outbound) {
            this.outbound = outbound;
            this.inbound = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, name);
                t.setDaemon(true);
                return t;
            });
        }

        @Override
        public void send(byte[] encapsulated) {
            byte[] copy = encapsulated.clone();
            synchronized (stateLock) {
                if (!up || outbound.decide()) {
                    return;
                }
                long delay = outbound.delayMillis();
                End to = peer;
                if (delay > 0) {
                    try {
                        to.inbound.schedule(() -> to.enqueue(copy), delay, TimeUnit.MILLISECONDS);
                    } catch (RejectedExecutionException closed) {
                        // the link is closed: the frame is lost
                    }
                } else {
                    to.enqueue(copy);
                }
            }
        }

        /*
         * What travels toward this end, in order: frames (byte[]) and link state changes (Runnable).
         * One drain task on the inbound thread delivers everything that has gathered, so a burst of
         * frames costs one task, not one each.
         */
        private final ArrayDeque<Object> queue = new ArrayDeque<>();
        private boolean draining; // guarded by queue

        void enqueue(Object item) {
            synchronized (queue) {
                queue.add(item);
                if (draining) {
                    return;
                }
                draining = true;
            }
            startDrain();
        }

        private void startDrain() {
            try {
                inbound.execute(this::drain);
            } catch (RejectedExecutionException closed) {
                synchronized (queue) { // the link is closed: what waits is lost
                    queue.clear();
                    draining = false;
                }
            }
        }

        private void drain() {
            for (int i = 0; i < DRAIN_BATCH; i++) {
                Object item;
                synchronized (queue) {
                    item = queue.poll();
                    if (item == null) {
                        draining = false;
                        return;
                    }
                }
                if (item instanceof byte[] frame) {
                    Receiver r = receiver;
                    if (r != null && up) {
                        r.received(frame);
                    }
                } else {
                    ((Runnable) item).run();
                }
            }
            startDrain(); // more waits: yield the thread to delayed frames scheduled meanwhile, then go on
        }

        void deliverState(boolean nowUp) {
            if (inbound.isShutdown()) {
                return;
            }
            enqueue((Runnable) () -> {
                Receiver r = receiver;
                if (r != null) {
                    if (nowUp) {
                        r.linkUp();
                    } else {
                        r.linkDown();
                    }
                }
            });
        }

        @Override
        public void receiver(Receiver r) {
            receiver = r;
        }

        @Override
        public boolean isUp() {
            return up;
        }
    }
}
