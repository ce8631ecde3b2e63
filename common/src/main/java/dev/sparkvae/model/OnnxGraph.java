package dev.sparkvae.model;

import dev.sparkvae.model.VaeLayers.Function;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.stream.Collectors;
import onnx.Onnx.AttributeProto.AttributeType;
import onnx.Onnx.AttributeProto;
import onnx.Onnx.GraphProto;
import onnx.Onnx.ModelProto;
import onnx.Onnx.NodeProto;
import onnx.Onnx.OperatorSetIdProto;
import onnx.Onnx.TensorProto;
import onnx.Onnx.TensorShapeProto;
import onnx.Onnx.TypeProto;
import onnx.Onnx.ValueInfoProto;
import org.nd4j.shade.protobuf.ByteString;

/**
 * A small builder of float32 ONNX models over the ONNX protobuf classes that ship inside nd4j-api (no schema of our
 * own). Models are IR version {@value #IR_VERSION}, default domain opset {@value #OPSET}: ONNX Runtime 1.22 runs
 * both. A dimension given as {@link #BATCH} or {@link #PER_ROW} is symbolic (dynamic).
 *
 * <p>Not thread-safe; build one model per instance.
 */
public final class OnnxGraph {
  /** The ONNX IR version written (7: ONNX 1.8). */
  public static final long IR_VERSION = 7;
  /** The default-domain operator set written. */
  public static final long OPSET = 13;
  /** Marks the dynamic batch dimension in {@link #input} and {@link #output}. */
  public static final long BATCH = -1;
  /** Marks a second dynamic dimension (e.g. latents per row) in {@link #input} and {@link #output}. */
  public static final long PER_ROW = -2;

  private final GraphProto.Builder graph;
  private int nodes;

  /** An empty graph called {@code name}. */
  public OnnxGraph(String name) {
    graph = GraphProto.newBuilder().setName(name);
  }

  /** Declares a float32 graph input; {@link #BATCH} marks a dynamic dimension. */
  public OnnxGraph input(String name, long... dims) {
    graph.addInput(valueInfo(name, dims));
    return this;
  }

  /** Declares a float32 graph output; {@link #BATCH} marks a dynamic dimension. */
  public OnnxGraph output(String name, long... dims) {
    graph.addOutput(valueInfo(name, dims));
    return this;
  }

  /** A constant float32 tensor, row-major {@code values} of shape {@code dims}. */
  public OnnxGraph initializer(String name, float[] values, long... dims) {
    ByteBuffer raw = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    raw.asFloatBuffer().put(values);
    TensorProto.Builder tensor = TensorProto.newBuilder().setName(name)
        .setDataType(TensorProto.DataType.FLOAT.getNumber()).setRawData(ByteString.copyFrom(raw));
    for (long dim : dims) {
      tensor.addDims(dim);
    }
    graph.addInitializer(tensor);
    return this;
  }

  /** A constant int64 vector (the axes, starts and ends that operators such as Slice and ReduceSum take). */
  public OnnxGraph longs(String name, long... values) {
    TensorProto.Builder tensor = TensorProto.newBuilder().setName(name)
        .setDataType(TensorProto.DataType.INT64.getNumber()).addDims(values.length);
    for (long value : values) {
      tensor.addInt64Data(value);
    }
    graph.addInitializer(tensor);
    return this;
  }

  /** A node of the default domain without attributes. */
  public OnnxGraph node(String opType, String output, String... inputs) {
    return node(opType, inputs, output, null);
  }

  /** A node of the default domain; {@code alpha}, when not null, becomes its float attribute "alpha". */
  public OnnxGraph node(String opType, String[] inputs, String output, Float alpha) {
    NodeProto.Builder node = NodeProto.newBuilder().setOpType(opType).setName(opType + "_" + nodes++)
        .addOutput(output);
    for (String input : inputs) {
      node.addInput(input);
    }
    if (alpha != null) {
      node.addAttribute(AttributeProto.newBuilder().setName("alpha").setType(AttributeType.FLOAT).setF(alpha));
    }
    graph.addNode(node);
    return this;
  }

  /** The node of {@code activation} from {@code input} to {@code output} (Identity for the identity). */
  public OnnxGraph activation(VaeLayers.Activation activation, String input, String output) {
    boolean hasAlpha = activation.function() == Function.LEAKYRELU || activation.function() == Function.ELU;
    return node(opType(activation.function()), new String[] {input}, output, hasAlpha ? activation.alpha() : null);
  }

  /** The declared inputs so far, in order, each as {@link #signature}. */
  public List<String> inputSignatures() {
    return graph.getInputList().stream().map(OnnxGraph::signature).toList();
  }

  /** The declared outputs so far, in order, each as {@link #signature}. */
  public List<String> outputSignatures() {
    return graph.getOutputList().stream().map(OnnxGraph::signature).toList();
  }

  /** A float32 value as "name: float32[N,20]": its name, then its dimensions, symbolic ones by their name. */
  public static String signature(ValueInfoProto value) {
    return value.getName() + ": float32" + value.getType().getTensorType().getShape().getDimList().stream()
        .map(dim -> dim.hasDimParam() ? dim.getDimParam() : Long.toString(dim.getDimValue()))
        .collect(Collectors.joining(",", "[", "]"));
  }

  /** The serialized model. */
  public byte[] toBytes() {
    return ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
        .setProducerName("spark-vae")
        .setGraph(graph)
        .build()
        .toByteArray();
  }

  private static String opType(Function function) {
    return switch (function) {
      case RELU -> "Relu";
      case LEAKYRELU -> "LeakyRelu";
      case TANH -> "Tanh";
      case SIGMOID -> "Sigmoid";
      case ELU -> "Elu";
      case SOFTPLUS -> "Softplus";
      case IDENTITY -> "Identity";
    };
  }

  private static ValueInfoProto valueInfo(String name, long[] dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long dim : dims) {
      TensorShapeProto.Dimension.Builder dimension = TensorShapeProto.Dimension.newBuilder();
      shape.addDim(dim == BATCH ? dimension.setDimParam("N")
          : dim == PER_ROW ? dimension.setDimParam("S") : dimension.setDimValue(dim));
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
        TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT.getNumber()).setShape(shape))).build();
  }
}
