package dev.sparkvae.bench;

import dev.sparkvae.inference.EncoderEngine;

/** One of our {@link EncoderEngine}s, fed the float arrays it takes in production. */
final class EngineContender extends Contender {
  private final EncoderEngine engine;
  private Batches batches;

  EngineContender(String name, EncoderEngine engine) {
    super(name);
    this.engine = engine;
  }

  @Override
  void prepare(Batches batches) {
    this.batches = batches;
  }

  @Override
  void encodeAll(float[] out) {
    int offset = 0;
    for (int b = 0; b < batches.size(); b++) {
      float[] joint = engine.encodeJoint(batches.rows()[b], batches.counts()[b]);
      if (out != null) {
        System.arraycopy(joint, 0, out, offset, joint.length);
        offset += joint.length;
      }
    }
  }

  @Override
  int outputWidth() {
    return 2 * engine.latentSize();
  }

  @Override
  public void close() {
    engine.close();
  }
}
