using Xunit;

namespace Co.Hook.Tests;

/// <summary><see cref="Hooks.Status"/>'s typed entries keep the text the status had as strings.</summary>
public class HookStatusTests
{
    [Fact]
    public void ToString_IsTheStatusText()
    {
        Assert.Equal("hooked", HookStatus.Hooked("recv").ToString());
        Assert.Equal("not needed: the kernel reads it", HookStatus.NotNeeded("fcntl", "the kernel reads it").ToString());
        Assert.Equal("not hooked: disabled", HookStatus.NotHooked("recv", "disabled").ToString());
    }

    [Fact]
    public void Default_IsNotHooked()
    {
        Assert.Equal(HookState.NotHooked, default(HookStatus).State);
    }
}
