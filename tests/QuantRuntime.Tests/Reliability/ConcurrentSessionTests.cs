using QuantRuntime.Generation;
using QuantRuntime.Inference;
using QuantRuntime.Tests.Support;

namespace QuantRuntime.Tests.Reliability;

/// <summary>
/// One loaded model serves eight generations at once, each in its own session (KV cache), and
/// every one produces exactly what it produces alone: the same ids and text, greedy and seeded
/// sampling, on the SIMD CPU backend (whose worker pool and scratch are shared) and the reference backend.
/// </summary>
public sealed class ConcurrentSessionTests
{
    private const int Sessions = 8;

    public static TheoryData<string, ComputeDevice> Models => new()
    {
        { "llama-f32-spm.gguf", ComputeDevice.Cpu },
        { "llama-f32-spm.gguf", ComputeDevice.Reference },
        { "llama-q8_0-spm.gguf", ComputeDevice.Cpu },
        { "qwen2-f16-bpe.gguf", ComputeDevice.Cpu },
        { "qwen2-f16-bpe.gguf", ComputeDevice.Reference },
        { "stories-shared.bin", ComputeDevice.Cpu },
    };

    private static readonly string[] Prompts =
        ["Hello world", "the world", "Hello", "in the world, 123", "a", "Hello, Hello, Hello", "the the the", "world 1 2 3"];

    /// <summary>Half greedy, half sampled with their own seeds and settings; different prompts, so any mix-up shows.</summary>
    private static GenerationRequest[] Requests(bool hasTokenizer) =>
    [
        .. Enumerable.Range(0, Sessions).Select(i => new GenerationRequest
        {
            Prompt = hasTokenizer ? Prompts[i] : null,
            PromptIds = hasTokenizer ? null : [1, 3 + i, 7 + 2 * i],
            MaxTokens = 24,
            StopAtEndOfGeneration = false,
            Sampling = i % 2 == 0
                ? SamplingOptions.Greedy
                : new SamplingOptions(Temperature: 0.7f + 0.1f * i, TopK: 10 * i, TopP: 0.9f, MinP: 0.02f, RepetitionPenalty: 1.1f, Seed: (ulong)(1000 + i)),
        }),
    ];

    private static async Task<(int[] Ids, string? Text)> Generate(LanguageModel model, GenerationRequest request)
    {
        GenerationResult? result = null;
        await foreach (var update in new TextGenerator(model).GenerateAsync(request))
        {
            if (update.IsFinal)
            {
                result = update.Result;
            }
        }
        return ([.. result!.GeneratedIds], result.Text);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task EightParallelSessions_ProduceTheSequentialOutputs(string seed, ComputeDevice device)
    {
        using var folder = new TempDirectory();
        using var model = LanguageModel.Load(ReliabilityModels.WriteSeed(folder.Path, seed), new LanguageModelOptions(device, Threads: 2));
        var requests = Requests(model.Tokenizer is not null);

        var sequential = new (int[] Ids, string? Text)[Sessions];
        for (int i = 0; i < Sessions; i++)
        {
            sequential[i] = await Generate(model, requests[i]);
        }
        Assert.True(sequential.Select(s => string.Join(',', s.Ids)).Distinct().Count() > Sessions / 2, "the requests should differ in output");

        for (int round = 0; round < 3; round++)
        {
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var tasks = requests.Select(request => Task.Run(async () =>
            {
                await start.Task;
                return await Generate(model, request);
            })).ToArray();
            start.SetResult();
            var parallel = await Task.WhenAll(tasks);
            for (int i = 0; i < Sessions; i++)
            {
                Assert.Equal(sequential[i].Ids, parallel[i].Ids);
                Assert.Equal(sequential[i].Text, parallel[i].Text);
            }
        }
    }
}
